package bootstrap_test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chatsvc/chat/internal/testenv"
)

func searchCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Searchable")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	for _, b := range []string{"Hello world", "hello there", "nothing here", "say HELLO to the world", "un café au lait"} {
		s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": b}).want(t, 201)
	}
	s.call(t, "POST", app+"/chats/2/messages", map[string]any{"body": "hello from chat two"}).want(t, 201)
	other := newApplication(t, s, "Other")
	s.call(t, "POST", "/api/v1/chat_applications/"+other+"/chats", nil).want(t, 201)
	s.call(t, "POST", "/api/v1/chat_applications/"+other+"/chats/1/messages", map[string]any{"body": "hello from elsewhere"}).want(t, 201)
	search := app + "/chats/1/messages/search?q="
	found := func(q string) []int64 {
		r := s.call(t, "GET", search+url.QueryEscape(q), nil).want(t, 200)
		var out []int64
		for _, it := range r.items(t) {
			out = append(out, int64(it["number"].(float64)))
			if !strings.Contains(it["highlight"].(string), "<em>") {
				t.Fatalf("hit without a marked part: %s", r.Raw)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	eventually(t, "messages searchable", func() bool {
		// The chat is read first: until it is persisted, search answers 404.
		return s.call(t, "GET", search+"ello", nil).Status == 200 && fmt.Sprint(found("ello")) == "[1 2 4]" && fmt.Sprint(found("lait")) == "[5]"
	})
	for q, want := range map[string]string{"hel": "[1 2 4]", "HELLO": "[1 2 4]", "hello wor": "[1 4]", "zzz": "[]", "here": "[2 3]", "cafe": "[5]", "CAFÉ": "[5]", "afe": "[5]"} {
		if got := fmt.Sprint(found(q)); got != want {
			t.Errorf("q=%q: %s, want %s", q, got, want)
		}
	}
	if got := fmt.Sprint(found("from")); got != "[]" {
		t.Errorf("chat 1 search found other chats' messages: %s", got)
	}
	if raw := s.call(t, "GET", search+"lait", nil).Raw; !strings.Contains(raw, `<em>lait</em>`) {
		t.Errorf("highlight not marked as <em> in the body: %s", raw)
	}
	p := s.call(t, "GET", search+"hello&limit=2", nil).want(t, 200)
	if len(p.items(t)) != 2 || p.Body["has_more"] != true {
		t.Fatalf("first page %s", p.Raw)
	}
	p2 := s.call(t, "GET", search+"hello&limit=2&cursor="+url.QueryEscape(p.str("next_cursor")), nil).want(t, 200)
	if len(p2.items(t)) != 1 || p2.Body["has_more"] != false {
		t.Fatalf("second page %s", p2.Raw)
	}
	s.call(t, "GET", app+"/chats/1/messages/search", nil).wantError(t, 400, "bad_request")
	s.call(t, "GET", search+"%20%20", nil).wantError(t, 400, "bad_request")
	s.call(t, "GET", search+strings.Repeat("a", 257), nil).wantError(t, 400, "bad_request")
	s.call(t, "GET", search+"x&limit=500", nil).wantError(t, 400, "bad_request")
	s.call(t, "GET", search+"x&cursor=bogus", nil).wantError(t, 400, "bad_request")
	s.call(t, "GET", app+"/chats/9/messages/search?q=x", nil).wantError(t, 404, "not_found")
	var many []string
	for i := 0; i < 128; i++ {
		many = append(many, string(rune('a'+i%26)))
	}
	s.call(t, "GET", search+url.QueryEscape(strings.Join(many, " ")), nil).wantError(t, 400, "bad_request")
	// Operators: an exact phrase, an excluded term; malformed ones are a 400.
	for q, want := range map[string]string{`"hello world"`: "[1]", `hello -there -lait`: "[1 4]", `"to the world" hel`: "[4]"} {
		if got := fmt.Sprint(found(q)); got != want {
			t.Errorf("q=%s: %s, want %s", q, got, want)
		}
	}
	for _, q := range []string{`"unclosed`, `-only`, `""`, `-"a phrase"`} {
		s.call(t, "GET", search+url.QueryEscape(q), nil).wantError(t, 400, "bad_request")
	}
	s.call(t, "POST", app+"/chats/2/messages", map[string]any{"body": "你好，世界 こんにちは"}).want(t, 201)
	eventually(t, "text without spaces is searchable inside its runs", func() bool {
		r := s.call(t, "GET", app+"/chats/2/messages/search?q="+url.QueryEscape("世界 こんに"), nil)
		return r.Status == 200 && len(r.items(t)) == 1
	})
}

func idempotencyCases(t *testing.T, s *stack) {
	idempotencySuite(t, []*stack{s})
}

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
