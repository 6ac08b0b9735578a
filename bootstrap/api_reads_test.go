package bootstrap_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// The user's own state (API.md "Per-user state"): read positions and the
// chat list with exact unread counts.

// myChats walks every page of the user's chat list.
func myChats(t *testing.T, s *stack, app, user string, limit int) []map[string]any {
	t.Helper()
	var out []map[string]any
	path := fmt.Sprintf("%s/me/chats?limit=%d", app, limit)
	for {
		r := s.call(t, "GET", path, nil, bearerHeader(user)...).want(t, 200)
		out = append(out, r.items(t)...)
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			if r.Body["has_more"] != false {
				t.Fatalf("a last page with more: %s", r.Raw)
			}
			return out
		}
		path = fmt.Sprintf("%s/me/chats?limit=%d&cursor=%s", app, limit, url.QueryEscape(next))
	}
}

// myChat is the chat's entry in the user's list.
func myChat(t *testing.T, s *stack, app, user string, chat int64) map[string]any {
	t.Helper()
	for _, c := range myChats(t, s, app, user, 200) {
		if int64(c["number"].(float64)) == chat {
			return c
		}
	}
	t.Fatalf("chat %d is not in the user's list", chat)
	return nil
}

func unreadOf(t *testing.T, s *stack, app, user string, chat int64) int64 {
	t.Helper()
	return int64(myChat(t, s, app, user, chat)["unread_count"].(float64))
}

// allMessages pages through the chat's persisted messages.
func allMessages(t *testing.T, s *stack, app, secret string, chat int64) []map[string]any {
	t.Helper()
	var out []map[string]any
	var after int64
	for {
		r := s.call(t, "GET", fmt.Sprintf("%s/chats/%d/messages?after=%d&limit=200", app, chat, after), nil, bearerHeader(secret)...).want(t, 200)
		items := r.items(t)
		out = append(out, items...)
		if len(items) < 200 {
			return out
		}
		after = int64(items[len(items)-1]["number"].(float64))
	}
}

// unreadFromMessages counts, from the persisted messages, those after
// through that are not the user's own: what unread_count must say.
func unreadFromMessages(t *testing.T, s *stack, app, secret, user string, chat, through int64) int64 {
	t.Helper()
	var n int64
	for _, m := range allMessages(t, s, app, secret, chat) {
		if a, _ := m["author"].(string); a != user && int64(m["number"].(float64)) > through {
			n++
		}
	}
	return n
}

func readsCases(t *testing.T, s *stack) {
	tok, secret, tokens := membersApplication(t, s)
	app := "/api/v1/chat_applications/" + tok
	mem, sec := tokens[userMember], bearerHeader(secret)

	t.Run("a chat's entry: unread count, position, newest message", func(t *testing.T) {
		c := myChat(t, s, app, mem, 1)
		if c["unread_count"] != 2.0 || c["read_through"] != 0.0 || c["last_activity_at"] == nil {
			t.Fatalf("chat 1: %v", c)
		}
		// 1 and 2 are the secret's, 3 the member's own.
		lm, _ := c["last_message"].(map[string]any)
		if lm == nil || lm["number"] != 3.0 || lm["author"] != "mem" || lm["preview"] != "hello three, the member's" || lm["created_at"] == nil {
			t.Fatalf("last message %v", c["last_message"])
		}
		if got := len(myChats(t, s, app, mem, 50)); got != 1 {
			t.Fatalf("the member is in %d chats, not 1", got)
		}
	})

	t.Run("forward only; beyond the last number is a 422; bad input a 400", func(t *testing.T) {
		r := s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": 1}, bearerHeader(mem)...).want(t, 200)
		if r.num("read_through") != 1 || r.num("unread_count") != 1 || r.num("number") != 1 {
			t.Fatalf("read through 1: %s", r.Raw)
		}
		r = s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": 0}, bearerHeader(mem)...).want(t, 200)
		if r.num("read_through") != 1 {
			t.Fatalf("a position moved back: %s", r.Raw)
		}
		s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": 4}, bearerHeader(mem)...).wantError(t, 422, "validation_failed")
		s.call(t, "PUT", app+"/chats/1/read", map[string]any{}, bearerHeader(mem)...).wantError(t, 422, "validation_failed")
		for _, bad := range []any{map[string]any{"through": "x"}, map[string]any{"through": -1}, map[string]any{"through": 1.5}, "[1]"} {
			s.call(t, "PUT", app+"/chats/1/read", bad, bearerHeader(mem)...).wantError(t, 400, "bad_request")
		}
		s.call(t, "PUT", app+"/chats/x/read", map[string]any{"through": 1}, bearerHeader(mem)...).wantError(t, 400, "bad_request")
		if c := myChat(t, s, app, mem, 1); c["read_through"] != 1.0 || c["unread_count"] != 1.0 {
			t.Fatalf("after refused reads: %v", c)
		}
		// Another member's position is theirs.
		if c := myChat(t, s, app, tokens[userModerator], 1); c["read_through"] != 0.0 {
			t.Fatalf("the moderator's position: %v", c)
		}
	})

	t.Run("exact from the answer on: posts, deletes, reads", func(t *testing.T) {
		want := unreadOf(t, s, app, mem, 1)
		for i := range 5 {
			s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": fmt.Sprint("post ", i)}, sec...).want(t, 201)
			want++
			if got := unreadOf(t, s, app, mem, 1); got != want {
				t.Fatalf("after post %d: unread %d, want %d", i, got, want)
			}
		}
		// One's own message is never unread to oneself.
		modWant := unreadOf(t, s, app, tokens[userModerator], 1)
		s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "mine"}, bearerHeader(mem)...).want(t, 201)
		if got := unreadOf(t, s, app, mem, 1); got != want {
			t.Fatalf("after the member's own post: unread %d, want %d", got, want)
		}
		c := myChat(t, s, app, tokens[userModerator], 1)
		if lm, _ := c["last_message"].(map[string]any); c["unread_count"] != float64(modWant+1) || lm == nil || lm["author"] != "mem" || lm["number"] != 9.0 {
			t.Fatalf("the moderator's entry after the member's post: %v", c)
		}
		s.call(t, "DELETE", app+"/chats/1/messages/4", nil, sec...).want(t, 204)
		want--
		if got := unreadOf(t, s, app, mem, 1); got != want {
			t.Fatalf("after a delete: unread %d, want %d", got, want)
		}
		s.call(t, "DELETE", app+"/chats/1/messages/4", nil, sec...) // again: nothing more to count
		if got := unreadOf(t, s, app, mem, 1); got != want {
			t.Fatalf("after a second delete: unread %d, want %d", got, want)
		}
		// After 5: the secret's 6, 7 and 8, and the member's own 9.
		r := s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": 5}, bearerHeader(tokens[userReader])...).want(t, 200)
		if got := unreadOf(t, s, app, mem, 1); got != r.num("unread_count") || got != 3 {
			t.Fatalf("after reading through 5 with a read token: %d (the answer said %s)", got, r.Raw)
		}
		eventually(t, "the posts and the delete persisted", func() bool {
			var numbers []string
			for _, m := range s.call(t, "GET", app+"/chats/1/messages?limit=200", nil, sec...).items(t) {
				numbers = append(numbers, fmt.Sprint(m["number"]))
			}
			return strings.Join(numbers, ",") == "1,2,3,5,6,7,8,9"
		})
		if got, want := unreadOf(t, s, app, mem, 1), unreadFromMessages(t, s, app, secret, "mem", 1, 5); got != want {
			t.Fatalf("unread %d, the messages say %d", got, want)
		}
	})

	t.Run("most recently active first, paged", func(t *testing.T) {
		var chats []int64
		for range 3 {
			r := s.call(t, "POST", app+"/chats", map[string]any{"members": []map[string]any{{"user_id": "mem"}}}, sec...).want(t, 201)
			chats = append(chats, r.num("number"))
		}
		order := func() string {
			var out []string
			for _, c := range myChats(t, s, app, mem, 1) {
				out = append(out, fmt.Sprint(c["number"]))
			}
			return strings.Join(out, ",")
		}
		// Chats made after chat 1's last message: newest first.
		if got := order(); got != fmt.Sprintf("%d,%d,%d,1", chats[2], chats[1], chats[0]) {
			t.Fatalf("order %s", got)
		}
		s.call(t, "POST", fmt.Sprintf("%s/chats/%d/messages", app, chats[0]), map[string]any{"body": "wake up"}, sec...).want(t, 201)
		if got := order(); got != fmt.Sprintf("%d,%d,%d,1", chats[0], chats[2], chats[1]) {
			t.Fatalf("order after a post in chat %d: %s", chats[0], got)
		}
		s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "and me"}, sec...).want(t, 201)
		if got := order(); got != fmt.Sprintf("1,%d,%d,%d", chats[0], chats[2], chats[1]) {
			t.Fatalf("order after a post in chat 1: %s", got)
		}
		c := myChat(t, s, app, mem, chats[1])
		if c["unread_count"] != 0.0 || c["last_message"] != nil {
			t.Fatalf("an empty chat: %v", c)
		}
		s.call(t, "GET", app+"/me/chats?cursor=nonsense", nil, bearerHeader(mem)...).wantError(t, 400, "bad_request")
		s.call(t, "GET", app+"/me/chats?limit=0", nil, bearerHeader(mem)...).wantError(t, 400, "bad_request")
		// A token limited to chat 2 lists none of the member's chats.
		if got := myChats(t, s, app, tokens[userLimited], 50); len(got) != 0 {
			t.Fatalf("a token limited to chat 2: %v", got)
		}
	})

	t.Run("only a member of the chat has a position; the application has none", func(t *testing.T) {
		r := s.call(t, "POST", app+"/chats", map[string]any{"visibility": "public"}, sec...).want(t, 201)
		public := r.num("number")
		s.call(t, "PUT", fmt.Sprintf("%s/chats/%d/read", app, public), map[string]any{"through": 0}, bearerHeader(mem)...).wantError(t, 403, "forbidden")
		s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": 1}, sec...).wantError(t, 403, "forbidden")
		s.call(t, "GET", app+"/me/chats", nil, sec...).wantError(t, 403, "forbidden")
		open := "/api/v1/chat_applications/" + newApplication(t, s, "Open")
		s.call(t, "POST", open+"/chats", nil).want(t, 201)
		s.call(t, "GET", open+"/me/chats", nil).wantError(t, 403, "forbidden")
		s.call(t, "PUT", open+"/chats/1/read", map[string]any{"through": 0}).wantError(t, 403, "forbidden")
	})
}
