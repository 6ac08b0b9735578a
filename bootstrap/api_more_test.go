package bootstrap_test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// The HTTP suite (apiSuite) on tenants, search, the operator listing and the operational endpoints.
func tenantCases(t *testing.T, s *stack) {
	a, b := newApplication(t, s, "A"), newApplication(t, s, "B")
	s.call(t, "POST", "/api/v1/chat_applications/"+a+"/chats", nil).want(t, 201)
	s.call(t, "POST", "/api/v1/chat_applications/"+a+"/chats/1/messages", map[string]any{"body": "for A"}).want(t, 201)
	eventually(t, "A's message persisted", func() bool {
		return s.call(t, "GET", "/api/v1/chat_applications/"+a+"/chats/1/messages/1", nil).Status == 200
	})
	s.call(t, "GET", "/api/v1/chat_applications/"+b+"/chats/1", nil).wantError(t, 404, "not_found")
	s.call(t, "GET", "/api/v1/chat_applications/"+b+"/chats/1/messages/1", nil).wantError(t, 404, "not_found")
	s.call(t, "POST", "/api/v1/chat_applications/"+b+"/chats/1/messages", map[string]any{"body": "x"}).wantError(t, 404, "not_found")
	if n := len(s.call(t, "GET", "/api/v1/chat_applications/"+b+"/chats", nil).want(t, 200).items(t)); n != 0 {
		t.Fatalf("B sees %d chats", n)
	}
}

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

func operatorCases(t *testing.T, s *stack) {
	s.call(t, "GET", "/api/v1/chat_applications", nil).wantError(t, 401, "unauthorized")
	s.call(t, "GET", "/api/v1/chat_applications", nil, "Authorization", "Bearer wrong").wantError(t, 401, "unauthorized")
	s.call(t, "GET", "/api/v1/chat_applications", nil, "Authorization", "Bearer operator-secret2").wantError(t, 401, "unauthorized")
	s.call(t, "GET", "/api/v1/chat_applications", nil, "Authorization", "Basic b3BlcmF0b3Itc2VjcmV0").wantError(t, 401, "unauthorized")
	if r := s.call(t, "GET", "/api/v1/chat_applications", nil, "Authorization", "Bearer"); r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("a 401 without WWW-Authenticate: %v", r.Header)
	}
	r := s.call(t, "GET", "/api/v1/chat_applications?limit=2", nil, "Authorization", "Bearer operator-secret").want(t, 200)
	if len(r.items(t)) != 2 || r.Body["has_more"] != true {
		t.Fatalf("first page %s", r.Raw)
	}
	next := s.call(t, "GET", "/api/v1/chat_applications?limit=2&cursor="+url.QueryEscape(r.str("next_cursor")), nil,
		"Authorization", "Bearer operator-secret").want(t, 200)
	if next.items(t)[0]["token"] == r.items(t)[1]["token"] {
		t.Fatal("the second page repeats the first")
	}
}

func operationalCases(t *testing.T, s *stack) {
	r := s.call(t, "GET", "/healthz", nil, "X-Request-ID", "trace-me-42").want(t, 200)
	if r.Header.Get("X-Request-ID") != "trace-me-42" {
		t.Fatalf("X-Request-ID %q, want the client's", r.Header.Get("X-Request-ID"))
	}
	if s.call(t, "GET", "/healthz", nil).Header.Get("X-Request-ID") == "" {
		t.Fatal("no generated X-Request-ID")
	}
	ready := s.call(t, "GET", "/readyz", nil).want(t, 200)
	if ready.str("status") != "ready" || ready.Body["dependencies"] == nil {
		t.Fatalf("readyz %s", ready.Raw)
	}
	m := s.call(t, "GET", "/metrics", nil).want(t, 200)
	for _, want := range []string{"chat_http_request_duration_seconds_bucket", `route="/api/v1/chat_applications/:token/chats"`, "chat_events_published_total"} {
		if !strings.Contains(m.Raw, want) {
			t.Fatalf("metrics lack %s", want)
		}
	}
}
