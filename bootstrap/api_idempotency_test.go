package bootstrap_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
)

// idempotencySuite: a retry with the same key gets the first answer, on any
// api instance, and never takes a second number; the same key with another
// request is a 422.
func idempotencySuite(t *testing.T, apis []*stack) {
	s := apis[0]
	on := func(i int) *stack { return apis[i%len(apis)] }
	// Creating an application: the retry gets the application made first,
	// without its secret (shown once, and kept only as a hash).
	appKey := "app-" + testenv.Suffix()
	a1 := on(0).call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "once"}, "Idempotency-Key", appKey).want(t, 201)
	if a2 := on(1).call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "once"}, "Idempotency-Key", appKey).want(t, 201); a2.Raw != withoutSecret(t, a1) {
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
	on(1).call(t, "PATCH", msgs+"/1", map[string]any{"body": "edited twice"}, "Idempotency-Key", "edit-1").wantError(t, 422, "idempotency_key_reused")
	// PUT is an edit too.
	p1 := on(0).call(t, "PUT", msgs+"/1", map[string]any{"message": map[string]any{"body": "put once"}}, "Idempotency-Key", "put-1").want(t, 200)
	if p2 := on(1).call(t, "PUT", msgs+"/1", map[string]any{"message": map[string]any{"body": "put once"}}, "Idempotency-Key", "put-1").want(t, 200); p2.str("updated_at") != p1.str("updated_at") || p2.str("body") != "put once" {
		t.Fatalf("retried PUT answered %s, first %s", p2.Raw, p1.Raw)
	}
	on(0).call(t, "PUT", msgs+"/1", map[string]any{"message": map[string]any{"body": "put twice"}}, "Idempotency-Key", "put-1").wantError(t, 422, "idempotency_key_reused")
	// A deletion retried is answered as the first; the key is its own.
	extra := on(0).call(t, "POST", msgs, map[string]any{"body": "to delete"}).want(t, 201).num("number")
	del := fmt.Sprintf("%s/%d", msgs, extra)
	on(0).call(t, "DELETE", del, nil, "Idempotency-Key", "delete-1").want(t, 204)
	on(1).call(t, "DELETE", del, nil, "Idempotency-Key", "delete-1").want(t, 204)
	on(0).call(t, "DELETE", msgs+"/1", nil, "Idempotency-Key", "delete-1").wantError(t, 422, "idempotency_key_reused")
	on(1).call(t, "POST", msgs, map[string]any{"body": "not a deletion"}, "Idempotency-Key", "delete-1").wantError(t, 422, "idempotency_key_reused")
	on(0).call(t, "POST", msgs, body, "Idempotency-Key", "has space").wantError(t, 400, "bad_request")
	eventually(t, "the messages persisted, the deleted one gone", func() bool {
		r := s.call(t, "GET", msgs+"?limit=200", nil)
		return r.Status == 200 && len(r.items(t)) == 3 && s.call(t, "GET", del, nil).Status == 404
	})
	// The edits persist on their own time (the count above does not wait for them).
	eventually(t, "message 1 is the PUT's", func() bool {
		return s.call(t, "GET", msgs+"/1", nil).str("body") == "put once"
	})
}

// heldClaims holds the request under key in progress: its Complete waits
// until the test lets it go.
type heldClaims struct {
	ports.IdempotencyClaims
	key                 string
	inProgress, release chan struct{}
}

func (c *heldClaims) Complete(ctx context.Context, key, fingerprint, result string) error {
	if key == c.key {
		close(c.inProgress)
		<-c.release
	}
	return c.IdempotencyClaims.Complete(ctx, key, fingerprint, result)
}

// While the first request with a key is in progress, its retry is answered
// 409 (retry later) and another request with the key 422; once the first is
// done the retry gets its answer.
func TestIdempotencyKeyInUse(t *testing.T) {
	for name, start := range map[string]func(*testing.T, ...fx.Option) *stack{
		"embedded":   func(t *testing.T, opts ...fx.Option) *stack { return embeddedStack(t, nil, opts...) },
		"production": func(t *testing.T, opts ...fx.Option) *stack { return productionStack(t, nil, opts...) },
	} {
		t.Run(name, func(t *testing.T) {
			// The claims outlive the test in the shared Redis: a key of this run's own.
			held := &heldClaims{key: "held-" + testenv.Suffix(), inProgress: make(chan struct{}), release: make(chan struct{})}
			s := start(t, fx.Decorate(func(c ports.IdempotencyClaims) ports.IdempotencyClaims {
				held.IdempotencyClaims = c
				return held
			}))
			create := func(name string) response {
				return s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": name}, "Idempotency-Key", held.key)
			}
			var once sync.Once
			let := func() { once.Do(func() { close(held.release) }) }
			t.Cleanup(let) // before the api stops
			first := make(chan response, 1)
			go func() { first <- create("first") }()
			select {
			case <-held.inProgress:
			case r := <-first:
				t.Fatalf("the first request was answered without completing its claim: %d %s", r.Status, r.Raw)
			}
			create("first").wantError(t, 409, "idempotency_key_in_use")
			create("another").wantError(t, 422, "idempotency_key_reused")
			let()
			r1 := (<-first).want(t, 201)
			if r2 := create("first").want(t, 201); r2.Raw != withoutSecret(t, r1) {
				t.Fatalf("the retry once the first was done answered %s, first %s", r2.Raw, r1.Raw)
			}
		})
	}
}

// withoutSecret is an application's creation answer as a retry of it is
// answered: without the secret, which is shown once and kept only as a hash.
func withoutSecret(t *testing.T, created response) string {
	t.Helper()
	secret := created.str("secret")
	if secret == "" {
		t.Fatalf("the creation answered no secret: %s", created.Raw)
	}
	return strings.Replace(created.Raw, `,"secret":"`+secret+`"`, "", 1)
}
