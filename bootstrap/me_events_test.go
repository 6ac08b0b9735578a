package bootstrap_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// userEvent is how the users' streams' events are compared:
// "message.created 2/3 hi", "typing 1 bob", "member.removed 1 ann".
func userEvent(e sseEvent) string {
	switch e.Kind {
	case "message.created", "message.edited":
		return fmt.Sprintf("%s %v/%v %v", e.Kind, e.Data["chat"], e.Data["number"], e.Data["body"])
	case "message.deleted":
		return fmt.Sprintf("%s %v/%v", e.Kind, e.Data["chat"], e.Data["number"])
	case "read.updated":
		return fmt.Sprintf("%s %v %v", e.Kind, e.Data["chat"], e.Data["read_through"])
	}
	return fmt.Sprintf("%s %v %v", e.Kind, e.Data["chat"], e.Data["user_id"])
}

// wantUser reads as many events as wanted from user's stream and
// compares them: the message events in the order wanted (the log's), the
// notices, which come another way, anywhere among them, except that the
// user's own join of a chat comes before its messages and their removal
// after them. Message events carry ids, notices none.
func (st *sseStream) wantUser(t *testing.T, user string, want ...string) []sseEvent {
	t.Helper()
	got := st.take(len(want))
	split := func(all []string) (messages, notices []string) {
		for _, e := range all {
			if strings.HasPrefix(e, "message.") {
				messages = append(messages, e)
			} else {
				notices = append(notices, e)
			}
		}
		slices.Sort(notices)
		return messages, notices
	}
	var seen []string
	for _, e := range got {
		seen = append(seen, userEvent(e))
	}
	gm, gn := split(seen)
	wm, wn := split(want)
	if fmt.Sprint(gm) != fmt.Sprint(wm) || fmt.Sprint(gn) != fmt.Sprint(wn) {
		t.Fatalf("events %q, want %q (notices in any place)", seen, want)
	}
	for i, e := range got {
		message := strings.HasPrefix(e.Kind, "message.")
		if message == (e.ID == "") {
			t.Fatalf("%s with id %q: message events carry ids, notices none", seen[i], e.ID)
		}
		if message || e.Data["user_id"] != user {
			continue
		}
		for j, o := range got {
			if strings.HasPrefix(o.Kind, "message.") && o.Data["chat"] == e.Data["chat"] &&
				((e.Kind == "member.added" && j < i) || (e.Kind == "member.removed" && j > i)) {
				t.Fatalf("events %q: %s out of place", seen, seen[i])
			}
		}
	}
	return got
}

// userEventsSuite: ann follows all her chats on one instance while bob,
// on the other (or the same), posts and types, and the application adds
// her to a chat and removes her from one; she resumes after a disconnect
// with one Last-Event-ID, missing and repeating nothing of her chats.
func userEventsSuite(t *testing.T, a, b *stack) {
	r := a.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Mine"}).want(t, 201)
	app, secret := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	app2 := "/api/v1/chat_applications/" + a.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Theirs"}).want(t, 201).str("token")
	a.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(secret)...).want(t, 200)
	both := []map[string]any{{"user_id": "ann"}, {"user_id": "bob"}}
	a.call(t, "POST", app+"/chats", map[string]any{"members": both}, bearerHeader(secret)...).want(t, 201)
	a.call(t, "POST", app+"/chats", map[string]any{"members": both[1:]}, bearerHeader(secret)...).want(t, 201)
	a.call(t, "POST", app2+"/chats", nil).want(t, 201)
	ann, bob := mint(t, secret, "ann", nil, nil), mint(t, secret, "bob", nil, nil)
	eventually(t, "the chats persisted", func() bool {
		return a.call(t, "GET", app+"/chats/2", nil, bearerHeader(bob)...).Status == 200 &&
			b.call(t, "GET", app+"/chats/1", nil, bearerHeader(ann)...).Status == 200
	})
	post := func(chat int, body string) {
		t.Helper()
		a.call(t, "POST", fmt.Sprintf("%s/chats/%d/messages", app, chat), map[string]any{"body": body}, bearerHeader(bob)...).want(t, 201)
	}

	annSt := follow(t, b, app+"/me/events?access_token="+url.QueryEscape(ann))
	bobSt := follow(t, a, app+"/me/events", bearerHeader(bob)...)
	post(1, "hi")
	a.call(t, "POST", app2+"/chats/1/messages", map[string]any{"body": "another application"}).want(t, 201)
	post(2, "not hers")
	a.call(t, "POST", app+"/chats/1/typing", nil, bearerHeader(bob)...).want(t, 204)
	b.call(t, "POST", app+"/chats/1/typing", nil, bearerHeader(ann)...).want(t, 204)
	for _, e := range annSt.wantUser(t, "ann", "message.created 1/1 hi", "typing 1 bob") {
		if e.Kind == "message.created" && e.Data["author"] != "bob" {
			t.Fatalf("%s: author %v, want bob", userEvent(e), e.Data["author"])
		}
	}
	bobSt.wantUser(t, "bob", "message.created 1/1 hi", "message.created 2/1 not hers", "typing 1 ann")

	// Joined while following: the chat's events come from the join on,
	// on her stream and as a notice on the other members'.
	b.call(t, "PUT", app+"/chats/2/members/ann", map[string]any{"role": "member"}, bearerHeader(secret)...).want(t, 200)
	post(2, "welcome")
	annSt.wantUser(t, "ann", "member.added 2 ann", "message.created 2/2 welcome")
	bobSt.wantUser(t, "bob", "member.added 2 ann", "message.created 2/2 welcome")

	// Read on another device: her streams hear it, no one else's.
	a.call(t, "PUT", app+"/chats/2/read", map[string]any{"through": 2}, bearerHeader(ann)...).want(t, 200)
	annSt.wantUser(t, "ann", "read.updated 2 2")

	// Removed: the removal is chat 1's last event on her stream.
	a.call(t, "DELETE", app+"/chats/1/members/ann", nil, bearerHeader(secret)...).want(t, 204)
	post(1, "behind her back")
	annSt.wantUser(t, "ann", "member.removed 1 ann")
	post(2, "still here") // after chat 1's message in the log: that one never came
	got := annSt.wantUser(t, "ann", "message.created 2/3 still here")
	bobSt.wantUser(t, "bob", "member.removed 1 ann", "message.created 1/2 behind her back", "message.created 2/3 still here")
	last := got[0].ID
	annSt.close()

	// Away: what is persisted meanwhile in her chats comes back, once, in
	// order; the notices do not (she rejoined chat 1: its later messages are hers).
	post(2, "while away")
	b.call(t, "PUT", app+"/chats/1/members/ann", map[string]any{"role": "member"}, bearerHeader(secret)...).want(t, 200)
	post(1, "back in one")
	a.call(t, "PATCH", app+"/chats/2/messages/4", map[string]any{"body": "while away, edited"}, bearerHeader(secret)...).want(t, 200)
	resumed := follow(t, a, app+"/me/events?access_token="+url.QueryEscape(ann), "Last-Event-ID", last)
	back := resumed.wantUser(t, "ann", "message.created 2/4 while away", "message.created 1/3 back in one", "message.edited 2/4 while away, edited")
	post(2, "live again")
	resumed.wantUser(t, "ann", "message.created 2/5 live again")
	resumed.close()
	again := follow(t, b, app+"/me/events", append(bearerHeader(ann), "Last-Event-ID", back[0].ID)...)
	again.wantUser(t, "ann", "message.created 1/3 back in one", "message.edited 2/4 while away, edited", "message.created 2/5 live again")

	b.call(t, "GET", app+"/me/events?after=nonsense", nil, bearerHeader(ann)...).wantError(t, 400, "bad_request")
	a.call(t, "POST", app+"/chats/2/typing", nil, bearerHeader(mint(t, secret, "cy", nil, nil))...).wantError(t, 404, "not_found")
}

func TestUserEventsEmbedded(t *testing.T) {
	s := embeddedStack(t, nil)
	userEventsSuite(t, s, s)
}

func TestUserEventsAcrossAPIs(t *testing.T) {
	env := productionEnv(t, nil)
	apis := apiInstances(t, loadConfig(t, env), 2)
	apis[0].addWorker(env, "w0")
	userEventsSuite(t, apis[1], apis[0])
}
