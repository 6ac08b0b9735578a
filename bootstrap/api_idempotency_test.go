package bootstrap_test

import (
	"sync"
	"testing"

	"github.com/chatsvc/chat/internal/testenv"
)

// idempotencySuite: a retry with the same key gets the first answer, on any
// api instance, and never takes a second number; the same key with another
// request is a 422.
func idempotencySuite(t *testing.T, apis []*stack) {
	s := apis[0]
	on := func(i int) *stack { return apis[i%len(apis)] }
	// Creating an application: the retry gets the application made first.
	appKey := "app-" + testenv.Suffix()
	a1 := on(0).call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "once"}, "Idempotency-Key", appKey).want(t, 201)
	if a2 := on(1).call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "once"}, "Idempotency-Key", appKey).want(t, 201); a2.Raw != a1.Raw {
		t.Fatalf("retried application create answered %s, first %s", a2.Raw, a1.Raw)
	}
	on(0).call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "twice"}, "Idempotency-Key", appKey).wantError(t, 422, "idempotency_key_reused")
	tok := newApplication(t, s, "Retrier")
	app := "/api/v1/chat_applications/" + tok
	first := on(0).call(t, "POST", app+"/chats", nil, "Idempotency-Key", "chat-1").want(t, 201)
	for i := 1; i <= 3; i++ {
		again := on(i).call(t, "POST", app+"/chats", nil, "Idempotency-Key", "chat-1").want(t, 201)
		if again.Raw != first.Raw {
			t.Fatalf("retried chat create answered %s, first %s", again.Raw, first.Raw)
		}
	}
	msgs := app + "/chats/1/messages"
	body := map[string]any{"body": "sent once"}
	m1 := on(0).call(t, "POST", msgs, body, "Idempotency-Key", "msg-1").want(t, 201)
	// The first answer was lost; the client retries, maybe on another instance.
	for i := 1; i <= 3; i++ {
		if again := on(i).call(t, "POST", msgs, body, "Idempotency-Key", "msg-1").want(t, 201); again.Raw != m1.Raw {
			t.Fatalf("retried message create answered %s, first %s", again.Raw, m1.Raw)
		}
	}
	on(1).call(t, "POST", msgs, map[string]any{"body": "another"}, "Idempotency-Key", "msg-1").wantError(t, 422, "idempotency_key_reused")
	on(0).call(t, "POST", app+"/chats/2/messages", body, "Idempotency-Key", "msg-1").wantError(t, 422, "idempotency_key_reused")
	if n := on(1).call(t, "POST", msgs, map[string]any{"body": "no key"}).want(t, 201).num("number"); n != m1.num("number")+1 {
		t.Fatalf("after retries the next number is %d, want %d: a retry took a number", n, m1.num("number")+1)
	}
	if n := on(0).call(t, "POST", app+"/chats", nil).want(t, 201).num("number"); n != 2 {
		t.Fatalf("the next chat is %d, want 2", n)
	}
	// Concurrent retries of one create: one message.
	var wg sync.WaitGroup
	numbers := make(chan int64, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := on(i).call(t, "POST", msgs, map[string]any{"body": "racing"}, "Idempotency-Key", "race")
			if r.Status == 201 {
				numbers <- r.num("number")
			} else if r.Status != 409 {
				t.Errorf("concurrent retry: %d %s", r.Status, r.Raw)
			}
		}(i)
	}
	wg.Wait()
	close(numbers)
	seen := map[int64]bool{}
	for n := range numbers {
		seen[n] = true
	}
	if len(seen) != 1 {
		t.Fatalf("concurrent requests with one key created %d messages", len(seen))
	}
	// An edit retried is one edit.
	e1 := on(0).call(t, "PATCH", msgs+"/1", map[string]any{"body": "edited once"}, "Idempotency-Key", "edit-1").want(t, 200)
	if e2 := on(1).call(t, "PATCH", msgs+"/1", map[string]any{"body": "edited once"}, "Idempotency-Key", "edit-1").want(t, 200); e2.str("updated_at") != e1.str("updated_at") {
		t.Fatalf("retried edit answered updated_at %s, first %s", e2.str("updated_at"), e1.str("updated_at"))
	}
	on(0).call(t, "POST", msgs, body, "Idempotency-Key", "has space").wantError(t, 400, "bad_request")
	eventually(t, "the messages persisted", func() bool {
		r := s.call(t, "GET", msgs+"?limit=200", nil)
		return r.Status == 200 && len(r.items(t)) == 3
	})
}
