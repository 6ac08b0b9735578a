package bootstrap_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func hostileRequestCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Hostile")
	app := "/api/v1/chat_applications/" + tok
	// A compressed body is refused before anything inflates it.
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(`{"name": "` + strings.Repeat("z", 4<<20) + `"}`))
	_ = zw.Close()
	for _, enc := range []string{"gzip", "gzip, gzip", "deflate", "br"} {
		s.call(t, "POST", "/api/v1/chat_applications", zipped.Bytes(), "Content-Encoding", enc).wantError(t, 415, "unsupported_media_type")
		s.call(t, "POST", app+"/chats", zipped.Bytes(), "Content-Encoding", enc).wantError(t, 415, "unsupported_media_type")
	}
	s.call(t, "POST", app+"/chats", `{}`, "Content-Encoding", "identity").want(t, 201)
	// Names count characters, as the API says, everywhere.
	for _, name := range []string{strings.Repeat("é", 128), strings.Repeat("é", 255), strings.Repeat("😀", 255)} {
		r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": name}).want(t, 201)
		if got := s.call(t, "GET", "/api/v1/chat_applications/"+r.str("token"), nil).want(t, 200).str("name"); got != name {
			t.Fatalf("name of %d characters read back as %q", len([]rune(name)), got)
		}
		s.call(t, "PATCH", app, map[string]any{"name": name}).want(t, 200)
	}
	s.call(t, "PATCH", app, map[string]any{"name": strings.Repeat("é", 256)}).wantError(t, 422, "validation_failed")
	// Methods: 405 with Allow, and JSON with a request id for unknown ones.
	r := s.call(t, "DELETE", app+"/chats", nil)
	r.wantError(t, 405, "method_not_allowed")
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") || strings.Contains(allow, "DELETE") {
		t.Fatalf("Allow %q", allow)
	}
	r = s.call(t, "BREW", app, nil)
	r.wantError(t, 405, "method_not_allowed")
	if r.Header.Get("X-Request-ID") == "" || !strings.Contains(r.Header.Get("Allow"), "PATCH") {
		t.Fatalf("unknown method: headers %v", r.Header)
	}
	s.call(t, "GET", "/api/v1/chat_applications", nil).wantError(t, 401, "unauthorized")
	if h := s.call(t, "GET", "/api/v1/chat_applications", nil).Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
		t.Fatalf("401 with WWW-Authenticate %q", h)
	}
	s.call(t, "GET", "/api/v1/chat_applications?cursor="+base64.RawURLEncoding.EncodeToString([]byte("v1:app:")), nil,
		"Authorization", "Bearer operator-secret").wantError(t, 400, "bad_request")
	// Requests the parser refuses get fixed messages: nothing of the request is echoed.
	for _, raw := range []string{
		"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\nAuthorization: Bearer s3cret-token\r\nCookie: sid=s3cret-cookie\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nAuthorization: Bearer s3cret-token\r\n\r\n",
	} {
		got := rawRequest(t, s, raw)
		if !strings.HasPrefix(got, "HTTP/1.1 400") || strings.Contains(got, "s3cret") || !strings.Contains(got, `"bad_request"`) {
			t.Fatalf("malformed request answered %q", got)
		}
	}
	// Bare LF line endings are answered at once (the read has a deadline).
	if got := rawRequest(t, s, "GET /healthz HTTP/1.1\nHost: x\n\n"); !strings.HasPrefix(got, "HTTP/1.1 400") {
		t.Fatalf("bare LF request answered %q", got)
	}
	// A body over the limit reaches the client as a 413, not as a reset.
	big := strings.Repeat("x", 3<<20)
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/chat_applications", strings.NewReader(`{"name":"`+big+`"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("oversized body: %v (want a 413)", err)
		}
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Fatalf("oversized body: %d", res.StatusCode)
		}
	}
}

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

func operatorListingCases(t *testing.T, s *stack) {
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
