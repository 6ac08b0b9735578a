package bootstrap_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// numbersOf lists a page's message numbers, with each one's parent (n>p).
func numbersOf(t *testing.T, r response) string {
	t.Helper()
	var out []string
	for _, m := range r.items(t) {
		out = append(out, fmt.Sprintf("%v>%v", m["number"], m["reply_to"]))
	}
	return strings.Join(out, " ")
}

// A message answers another of its chat (reply_to): the answer shows it
// everywhere a message is shown; the parent counts its live replies
// (reply_count, exact once they are persisted) and pages them; a parent
// that is not a message of the chat (never was, deleted, another chat's
// number) is refused, takes no number and changes nothing; one just
// answered, persisted or not yet, may be replied to at once.
func repliesCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Replies")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	eventually(t, "the chats persisted", func() bool { return s.call(t, "GET", app+"/chats/2", nil).Status == 200 })
	msgs := app + "/chats/1/messages"
	st := follow(t, s, app+"/chats/1/events")
	s.call(t, "POST", msgs, map[string]any{"body": "plum parent"}).want(t, 201)
	s.call(t, "POST", msgs, map[string]any{"body": "plum doomed"}).want(t, 201)
	for range 2 {
		s.call(t, "POST", app+"/chats/2/messages", map[string]any{"body": "elsewhere"}).want(t, 201)
	}
	eventually(t, "the parents persisted", func() bool { return s.call(t, "GET", msgs+"/2", nil).Status == 200 })
	s.call(t, "DELETE", msgs+"/2", nil).want(t, 204)
	eventually(t, "the deletion persisted", func() bool { return s.call(t, "GET", msgs+"/2", nil).Status == 404 })

	if r := s.call(t, "POST", msgs, map[string]any{"body": "plum reply", "reply_to": 1}).want(t, 201); r.num("reply_to") != 1 || r.num("number") != 3 {
		t.Fatalf("the reply's answer: %s", r.Raw)
	}
	s.call(t, "POST", msgs, map[string]any{"message": map[string]any{"body": "plum wrapped reply", "reply_to": 1}}).want(t, 201)
	s.call(t, "POST", msgs, "body=plum+form+reply&reply_to=1", "Content-Type", "application/x-www-form-urlencoded").want(t, 201)
	for _, bad := range []string{
		`{"body":"x","reply_to":0}`, `{"body":"x","reply_to":-1}`, `{"body":"x","reply_to":1.5}`, `{"body":"x","reply_to":1e3}`,
		`{"body":"x","reply_to":2}`, `{"body":"x","reply_to":3000}`, `{"body":"x","reply_to":99999999999999999999}`,
	} {
		s.call(t, "POST", msgs, bad).wantError(t, 422, "validation_failed")
	}
	s.call(t, "POST", msgs, `{"body":"x","reply_to":"one"}`).wantError(t, 400, "bad_request")
	s.call(t, "POST", msgs, `{"body":"x","reply_to":[1]}`).wantError(t, 400, "bad_request")
	// Chat 2 has a message 2, chat 1 none that lives: still refused.
	s.call(t, "POST", msgs, map[string]any{"body": "x", "reply_to": 2}).wantError(t, 422, "validation_failed")
	if r := s.call(t, "POST", msgs, map[string]any{"body": "plum last", "reply_to": nil}).want(t, 201); r.num("number") != 6 || strings.Contains(r.Raw, "reply_to") {
		t.Fatalf("the refusals took a number, or null answered something: %s", r.Raw)
	}
	for i, want := range []string{"1 <nil>", "2 <nil>", "3 1", "4 1", "5 1", "6 <nil>"} {
		e, ok := st.next(10 * time.Second)
		for ok && e.Kind != "message.created" {
			e, ok = st.next(10 * time.Second) // message 2's deletion
		}
		if !ok || fmt.Sprintf("%v %v", e.Data["number"], e.Data["reply_to"]) != want {
			t.Fatalf("live %d: %v, want %s", i+1, e, want)
		}
	}

	replies := msgs + "/1/replies"
	eventually(t, "the parent counts its replies", func() bool {
		return s.call(t, "GET", msgs+"/1", nil).want(t, 200).num("reply_count") == 3
	})
	if got := numbersOf(t, s.call(t, "GET", replies, nil).want(t, 200)); got != "3>1 4>1 5>1" {
		t.Fatalf("the replies: %s", got)
	}
	first := s.call(t, "GET", replies+"?limit=2", nil).want(t, 200)
	if numbersOf(t, first) != "3>1 4>1" || first.Body["has_more"] != true {
		t.Fatalf("the first page of replies: %s", first.Raw)
	}
	if got := numbersOf(t, s.call(t, "GET", replies+"?limit=2&cursor="+first.str("next_cursor"), nil).want(t, 200)); got != "5>1" {
		t.Fatalf("the next page of replies: %s", got)
	}
	if got := numbersOf(t, s.call(t, "GET", replies+"?order=desc&limit=2", nil).want(t, 200)); got != "5>1 4>1" {
		t.Fatalf("the newest replies: %s", got)
	}
	if got := numbersOf(t, s.call(t, "GET", replies+"?after=3", nil).want(t, 200)); got != "4>1 5>1" {
		t.Fatalf("the replies after 3: %s", got)
	}
	if r := s.call(t, "GET", msgs+"/3/replies", nil).want(t, 200); len(r.items(t)) != 0 || strings.Contains(s.call(t, "GET", msgs+"/3", nil).Raw, "reply_count") {
		t.Fatalf("a message without replies: %s", r.Raw)
	}
	s.call(t, "GET", msgs+"/2/replies", nil).wantError(t, 404, "not_found")
	s.call(t, "GET", msgs+"/99/replies", nil).wantError(t, 404, "not_found")
	s.call(t, "GET", msgs+"/x/replies", nil).wantError(t, 400, "bad_request")
	s.call(t, "GET", replies+"?limit=500", nil).wantError(t, 400, "bad_request")
	eventually(t, "search hits carry their parent", func() bool {
		r := s.call(t, "GET", msgs+"/search?q=plum+reply", nil).want(t, 200)
		return strings.Count(r.Raw, `"reply_to":1,`) == 3
	})

	// A deleted reply leaves the count and the pages; replies at once from
	// many clients are all counted.
	s.call(t, "DELETE", msgs+"/4", nil).want(t, 204)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.call(t, "POST", msgs, map[string]any{"body": fmt.Sprintf("plum racer %d", i), "reply_to": 1}).want(t, 201)
		}()
	}
	wg.Wait()
	eventually(t, "every reply counted, the deleted one not", func() bool {
		return s.call(t, "GET", msgs+"/1", nil).want(t, 200).num("reply_count") == 14 &&
			len(s.call(t, "GET", replies+"?limit=200", nil).want(t, 200).items(t)) == 14
	})
	// A message just answered (maybe not persisted yet) may be replied to at once.
	fresh := s.call(t, "POST", msgs, map[string]any{"body": "plum fresh"}).want(t, 201).num("number")
	s.call(t, "POST", msgs, map[string]any{"body": "plum quick answer", "reply_to": fresh}).want(t, 201)
	eventually(t, "the fresh message counts its reply", func() bool {
		return s.call(t, "GET", fmt.Sprintf("%s/%d", msgs, fresh), nil).num("reply_count") == 1
	})
}
