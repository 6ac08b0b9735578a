package bootstrap_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// authorOf is the author of a message's representation: "null" for none.
func authorOf(m map[string]any) string {
	a, ok := m["author"]
	switch {
	case !ok:
		return "(absent)"
	case a == nil:
		return "null"
	}
	return fmt.Sprint(a)
}

// authorsOf lists the authors of a page's messages, by number.
func authorsOf(t *testing.T, r response) string {
	t.Helper()
	var out []string
	for _, m := range r.items(t) {
		out = append(out, fmt.Sprintf("%v:%s", m["number"], authorOf(m)))
	}
	return strings.Join(out, " ")
}

// Messages carry their author everywhere a message is shown: the create's
// answer, one message, a page, a long poll, search hits, the live stream
// and the application's feed (the webhooks' bodies); an application names
// one or none, and a malformed one is refused and takes no number.
func authorsCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Authors")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	eventually(t, "the chat persisted", func() bool { return s.call(t, "GET", app+"/chats/1", nil).Status == 200 })
	msgs := app + "/chats/1/messages"
	st := follow(t, s, app+"/chats/1/events")

	for _, c := range []struct {
		body any
		want string
	}{
		{map[string]any{"body": "apple from the app"}, "null"},
		{map[string]any{"body": "apple by ann", "author": "ann 名前"}, "ann 名前"},
		{map[string]any{"message": map[string]any{"body": "apple wrapped", "author": "bob"}}, "bob"},
		{map[string]any{"body": "apple named null", "author": nil}, "null"},
	} {
		if got := authorOf(s.call(t, "POST", msgs, c.body).want(t, 201).Body); got != c.want {
			t.Fatalf("%v: author %s, want %s", c.body, got, c.want)
		}
	}
	if r := s.call(t, "POST", msgs, "body=apple+by+form&author=carl", "Content-Type", "application/x-www-form-urlencoded").want(t, 201); authorOf(r.Body) != "carl" {
		t.Fatalf("a form's author: %s", r.Raw)
	}
	for _, bad := range []map[string]any{
		{"body": "x", "author": ""}, {"body": "x", "author": "a\tb"}, {"body": "x", "author": strings.Repeat("é", 129)},
	} {
		s.call(t, "POST", msgs, bad).wantError(t, 422, "validation_failed")
	}
	s.call(t, "POST", msgs, map[string]any{"body": "x", "author": 5}).wantError(t, 400, "bad_request")
	s.call(t, "POST", msgs, map[string]any{"body": "x", "message": map[string]any{"author": "y"}}).wantError(t, 400, "bad_request")
	// The refusals took no number: the next message is 6.
	if n := s.call(t, "POST", msgs, map[string]any{"body": "apple last", "author": "ann 名前"}).want(t, 201).num("number"); n != 6 {
		t.Fatalf("the next message is %d, want 6", n)
	}

	const want = "1:null 2:ann 名前 3:bob 4:null 5:carl 6:ann 名前"
	created := []string{}
	for range 6 {
		e, ok := st.next(10 * time.Second)
		if !ok || e.Kind != "message.created" {
			t.Fatalf("live: %v", e)
		}
		created = append(created, fmt.Sprintf("%v:%s", e.Data["number"], authorOf(e.Data)))
	}
	if got := strings.Join(created, " "); got != want {
		t.Fatalf("live authors %s, want %s", got, want)
	}
	eventually(t, "six messages persisted", func() bool {
		return authorsOf(t, s.call(t, "GET", msgs, nil).want(t, 200)) == want
	})
	if got := authorsOf(t, s.call(t, "GET", msgs+"?after=0&wait=5s", nil).want(t, 200)); got != want {
		t.Fatalf("long poll authors %s", got)
	}
	if got := authorOf(s.call(t, "GET", msgs+"/2", nil).want(t, 200).Body); got != "ann 名前" {
		t.Fatalf("message 2 by %s", got)
	}
	eventually(t, "six search hits with their authors", func() bool {
		r := s.call(t, "GET", msgs+"/search?q=apple", nil)
		var got []string
		for _, h := range r.items(t) {
			got = append(got, fmt.Sprintf("%v:%s", h["number"], authorOf(h)))
		}
		return len(got) == 6 && strings.Contains(" "+strings.Join(got, " ")+" ", " 2:ann 名前 ") &&
			strings.Contains(" "+strings.Join(got, " ")+" ", " 1:null ")
	})
	// An edit keeps the author, in its answer and on the live stream.
	if got := authorOf(s.call(t, "PATCH", msgs+"/2", map[string]any{"body": "apple edited"}).want(t, 200).Body); got != "ann 名前" {
		t.Fatalf("the edit's answer: author %s", got)
	}
	if e, ok := st.next(10 * time.Second); !ok || e.Kind != "message.edited" || authorOf(e.Data) != "ann 名前" {
		t.Fatalf("live edit %v", e)
	}
	eventually(t, "the feed carries the authors", func() bool {
		var got []string
		for _, e := range s.call(t, "GET", app+"/events", nil).want(t, 200).items(t) {
			data := e["data"].(map[string]any)
			got = append(got, fmt.Sprintf("%v %v:%s", e["type"], data["number"], authorOf(data)))
		}
		return strings.Join(got, ", ") == "message.created 1:null, message.created 2:ann 名前, message.created 3:bob, "+
			"message.created 4:null, message.created 5:carl, message.created 6:ann 名前, message.edited 2:ann 名前"
	})
}

// In a protected application a user writes as themselves: their messages
// carry their token's sub, naming themselves is fine, naming anyone else
// is a 403 that creates nothing; the secret names anyone, or no one.
func userAuthorsCases(t *testing.T, s *stack) {
	tok, secret, tokens := membersApplication(t, s)
	msgs := "/api/v1/chat_applications/" + tok + "/chats/1/messages"
	member, mod := bearerHeader(tokens[userMember]), bearerHeader(tokens[userModerator])
	for _, c := range []struct {
		body    map[string]any
		headers []string
		want    string
	}{
		{map[string]any{"body": "by the member"}, member, "mem"},
		{map[string]any{"body": "named themselves", "author": "mem"}, member, "mem"},
		{map[string]any{"body": "the moderator's", "author": nil}, mod, "mod"},
		{map[string]any{"body": "on mem's behalf", "author": "mem"}, bearerHeader(secret), "mem"},
		{map[string]any{"body": "the system's"}, bearerHeader(secret), "null"},
	} {
		if got := authorOf(s.call(t, "POST", msgs, c.body, c.headers...).want(t, 201).Body); got != c.want {
			t.Fatalf("%v: author %s, want %s", c.body, got, c.want)
		}
	}
	// The accepted writes persisted first: a refusal is checked against a still state.
	eventually(t, "the accepted messages persisted", func() bool {
		return strings.Count(s.call(t, "GET", msgs, nil, bearerHeader(secret)...).want(t, 200).Raw, `"number":`) == 8
	})
	before := memberSnapshot(t, s, tok, secret)
	s.call(t, "POST", msgs, map[string]any{"body": "as someone else", "author": "mod"}, member...).wantError(t, 403, "forbidden")
	s.call(t, "POST", msgs, map[string]any{"message": map[string]any{"body": "wrapped", "author": "mem2"}}, member...).wantError(t, 403, "forbidden")
	if after := memberSnapshot(t, s, tok, secret); after != before {
		t.Fatalf("a refused request changed the state:\nbefore %s\nafter  %s", before, after)
	}
	if n := s.call(t, "POST", msgs, map[string]any{"body": "next"}, member...).want(t, 201).num("number"); n != 9 {
		t.Fatalf("the next message is %d, want 9: a refusal took a number", n)
	}
	const want = "1:null 2:null 3:mem 4:mem 5:mem 6:mod 7:mem 8:null 9:mem"
	eventually(t, "the users' messages persisted with their authors", func() bool {
		return authorsOf(t, s.call(t, "GET", msgs, nil, bearerHeader(secret)...).want(t, 200)) == want
	})
}
