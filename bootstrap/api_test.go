package bootstrap_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/chatsvc/chat/internal/testenv"
)

// The HTTP suite runs against both profiles: the same use cases and the same
// HTTP layer, only the adapters differ.
func TestAPIEmbedded(t *testing.T) {
	apiSuite(t, embeddedStack(t, nil))
}

func TestAPIProduction(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, redisAddr string) {
		apiSuite(t, productionStack(t, map[string]string{"CHAT_REDIS_ADDR": redisAddr}))
	})
}

func newApplication(t *testing.T, s *stack, name string) string {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": name}).want(t, 201)
	return r.str("token")
}

func sortedKeys(m map[string]any) string {
	k := keys(m)
	sort.Strings(k)
	return strings.Join(k, ",")
}

func apiSuite(t *testing.T, s *stack) {
	t.Run("applications", func(t *testing.T) { applicationsCases(t, s) })
	t.Run("bad input is refused and changes nothing", func(t *testing.T) { badInputCases(t, s) })
	t.Run("hostile requests", func(t *testing.T) { hostileCases(t, s) })
	t.Run("chats and messages", func(t *testing.T) { chatsAndMessagesCases(t, s) })
	t.Run("cached reads are the store's answers and follow every change", func(t *testing.T) { cachedReadsCases(t, s) })
	t.Run("deleting a message", func(t *testing.T) { deletingCases(t, s) })
	t.Run("a newcomer's first requests", func(t *testing.T) { newcomerSuite(t, s) })
	t.Run("retry-safe writes with Idempotency-Key", func(t *testing.T) {
		idempotencySuite(t, []*stack{s})
	})
	t.Run("tenants are isolated", func(t *testing.T) { tenantCases(t, s) })
	t.Run("search", func(t *testing.T) { searchCases(t, s) })
	t.Run("operator listing", func(t *testing.T) { operatorCases(t, s) })
	t.Run("protected applications: every route × every credential", func(t *testing.T) { accessMatrixCases(t, s) })
	t.Run("open applications: the path token alone, a wrong bearer refused", func(t *testing.T) { openAccessCases(t, s) })
	t.Run("switching access and rotating secrets", func(t *testing.T) { accessChangesCases(t, s) })
	t.Run("user tokens: every route × every kind of user", func(t *testing.T) { memberMatrixCases(t, s) })
	t.Run("members, public chats, leaving", func(t *testing.T) { membersCases(t, s) })
	t.Run("read positions and the user's chats with exact unread counts", func(t *testing.T) { readsCases(t, s) })
	t.Run("hostile user tokens, ?access_token=, idempotency keys per user", func(t *testing.T) { userTokenCases(t, s) })
	t.Run("messages carry their authors everywhere", func(t *testing.T) { authorsCases(t, s) })
	t.Run("a user writes as themselves", func(t *testing.T) { userAuthorsCases(t, s) })
	t.Run("messages carry their type and attributes", func(t *testing.T) { structureCases(t, s) })
	t.Run("only the application writes system messages", func(t *testing.T) { userStructureCases(t, s) })
	t.Run("replies: reply_to, reply_count, …/replies", func(t *testing.T) { repliesCases(t, s) })
	t.Run("webhooks and the feed: the application's own, every credential", func(t *testing.T) { hookMatrixCases(t, s) })
	t.Run("request ids and operational endpoints", func(t *testing.T) { operationalCases(t, s) })
}

func applicationsCases(t *testing.T, s *stack) {
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Acme"}).want(t, 201)
	if got := sortedKeys(r.Body); got != "access,chats_count,created_at,name,retention_days,secret,token,updated_at" {
		t.Fatalf("application fields %s", got)
	}
	tok := r.str("token")
	if len(tok) < 20 || r.str("name") != "Acme" || r.num("chats_count") != 0 {
		t.Fatalf("created %s", r.Raw)
	}
	got := s.call(t, "GET", "/api/v1/chat_applications/"+tok, nil).want(t, 200)
	if got.str("name") != "Acme" || got.str("created_at") == "" {
		t.Fatalf("read back %s", got.Raw)
	}
	s.call(t, "PATCH", "/api/v1/chat_applications/"+tok, map[string]any{"name": "Acme 2"}).want(t, 200)
	r = s.call(t, "PUT", "/api/v1/chat_applications/"+tok, map[string]any{"chat_application": map[string]any{"name": "Acme 3"}}).want(t, 200)
	if r.str("name") != "Acme 3" {
		t.Fatalf("after PUT %s", r.Raw)
	}
	r = s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"chat_application": map[string]any{"name": "Rails way"}}).want(t, 201)
	if r.str("name") != "Rails way" {
		t.Fatalf("Rails-style create %s", r.Raw)
	}
	// The original Rails service's form bodies.
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	r = s.call(t, "POST", "/api/v1/chat_applications", "chat_application%5Bname%5D=Form+app+%C3%A9", form...).want(t, 201)
	if r.str("name") != "Form app é" {
		t.Fatalf("form create %s", r.Raw)
	}
	formTok := r.str("token")
	s.call(t, "PUT", "/api/v1/chat_applications/"+formTok, "name=Renamed", form...).want(t, 200)
	s.call(t, "POST", "/api/v1/chat_applications/"+formTok+"/chats", "", form...).want(t, 201)
	if m := s.call(t, "POST", "/api/v1/chat_applications/"+formTok+"/chats/1/messages", "message%5Bbody%5D=hi+there", form...).want(t, 201); m.str("body") != "hi there" {
		t.Fatalf("form message %s", m.Raw)
	}
	s.call(t, "GET", "/api/v1/chat_applications/AAAAAAAAAAAAAAAAAAAAAAAA", nil).wantError(t, 404, "not_found")
	s.call(t, "GET", "/api/v1/chat_applications/nope", nil).wantError(t, 404, "not_found")
	s.call(t, "PATCH", "/api/v1/chat_applications/AAAAAAAAAAAAAAAAAAAAAAAA", map[string]any{"name": "x"}).wantError(t, 404, "not_found")
}

func badInputCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Strict")
	app := "/api/v1/chat_applications/" + tok
	cases := []struct {
		method, path string
		body         any
		ctype        string
		status       int
		code         string
	}{
		{"POST", "/api/v1/chat_applications", map[string]any{}, "", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", "", "", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", map[string]any{"name": "   "}, "", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", map[string]any{"name": strings.Repeat("n", 256)}, "", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", map[string]any{"name": 42}, "", 400, "bad_request"},
		{"POST", "/api/v1/chat_applications", `{"name": "x"`, "", 400, "bad_request"},
		{"POST", "/api/v1/chat_applications", `["x"]`, "", 400, "bad_request"},
		{"POST", "/api/v1/chat_applications", `{"chat_application": "x"}`, "", 400, "bad_request"},
		{"POST", "/api/v1/chat_applications", "name=x", "text/csv", 415, "unsupported_media_type"},
		{"POST", "/api/v1/chat_applications", "chat_application%5Bname%5D=", "application/x-www-form-urlencoded", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", "name=%FF", "application/x-www-form-urlencoded", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", "name=%zz", "application/x-www-form-urlencoded", 400, "bad_request"},
		{"POST", "/api/v1/chat_applications", "{\"name\": \"bad \xff utf8\"}", "", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", `{"name": "` + strings.Repeat("x", 1<<20) + `"}`, "", 413, "payload_too_large"},
		{"PATCH", app, map[string]any{"name": ""}, "", 422, "validation_failed"},
		{"POST", app + "/chats", `{"oops"`, "", 400, "bad_request"},
		{"POST", app + "/chats", "hello", "text/plain", 415, "unsupported_media_type"},
		{"GET", app + "/chats/abc", nil, "", 400, "bad_request"},
		{"GET", app + "/chats/0", nil, "", 400, "bad_request"},
		{"GET", app + "/chats/-3", nil, "", 400, "bad_request"},
		{"GET", app + "/chats?limit=0", nil, "", 400, "bad_request"},
		{"GET", app + "/chats?limit=201", nil, "", 400, "bad_request"},
		{"GET", app + "/chats?limit=ten", nil, "", 400, "bad_request"},
		{"GET", app + "/chats?cursor=not-a-cursor", nil, "", 400, "bad_request"},
		{"GET", app + "/chats/7", nil, "", 404, "not_found"},
		{"POST", app + "/chats/7/messages", map[string]any{"body": "hi"}, "", 404, "not_found"},
		{"POST", app + "/chats/x/messages", map[string]any{"body": "hi"}, "", 400, "bad_request"},
		{"GET", "/api/v1/nothing-here", nil, "", 404, "not_found"},
		{"DELETE", app + "/chats", nil, "", 405, "method_not_allowed"},
		{"POST", app + "/chats", "null", "", 400, "bad_request"},
		{"POST", "/api/v1/chat_applications", "null", "", 400, "bad_request"},
		{"POST", "/api/v1/chat_applications", `{"name": "a\ud800b"}`, "", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", `{"name": "\udc00"}`, "", 422, "validation_failed"},
		{"POST", "/api/v1/chat_applications", `{"name": "\ud83d\ud83d"}`, "", 422, "validation_failed"},
		{"GET", app + "/chats?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("v1:chat:")), nil, "", 400, "bad_request"},
	}
	for _, c := range cases {
		var headers []string
		if c.ctype != "" {
			headers = []string{"Content-Type", c.ctype}
		}
		s.call(t, c.method, c.path, c.body, headers...).wantError(t, c.status, c.code)
	}
	// Nothing above allocated a chat number.
	if n := s.call(t, "POST", app+"/chats", nil).want(t, 201).num("number"); n != 1 {
		t.Fatalf("first chat after refused requests is %d, want 1", n)
	}
	msgs := app + "/chats/1/messages"
	for _, c := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{}, 422, "validation_failed"},
		{map[string]any{"body": ""}, 422, "validation_failed"},
		{map[string]any{"body": " \n\t"}, 422, "validation_failed"},
		{map[string]any{"body": []string{"x"}}, 400, "bad_request"},
		{map[string]any{"body": strings.Repeat("b", 64<<10+1)}, 413, "payload_too_large"},
		// Message structure (API.md): type, attributes, reply_to.
		{map[string]any{"body": "x", "type": "NOPE"}, 422, "validation_failed"},
		{map[string]any{"body": "x", "type": []string{"text"}}, 400, "bad_request"},
		{map[string]any{"body": "x", "attributes": []int{1}}, 422, "validation_failed"},
		{map[string]any{"body": "x", "attributes": map[string]any{"k": strings.Repeat("a", 4<<10)}}, 422, "validation_failed"},
		{`{"body": "x", "attributes": {"k": "\udfff"}}`, 422, "validation_failed"},
		{map[string]any{"body": "x", "reply_to": 1}, 422, "validation_failed"}, // no message 1 yet
		{map[string]any{"body": "x", "reply_to": -5}, 422, "validation_failed"},
		{map[string]any{"body": "x", "reply_to": true}, 400, "bad_request"},
	} {
		s.call(t, "POST", msgs, c.body).wantError(t, c.status, c.code)
	}
	if n := s.call(t, "POST", msgs, map[string]any{"body": "first"}).want(t, 201).num("number"); n != 1 {
		t.Fatalf("first message after refused requests is %d, want 1", n)
	}
	s.call(t, "PATCH", msgs+"/2", map[string]any{"body": "x"}).wantError(t, 404, "not_found")
	s.call(t, "PATCH", msgs+"/1", map[string]any{"body": ""}).wantError(t, 422, "validation_failed")
	s.call(t, "PATCH", msgs+"/1", map[string]any{"body": 5}).wantError(t, 400, "bad_request")
	s.call(t, "PATCH", msgs+"/1", `{"body": "x\udfffy"}`).wantError(t, 422, "validation_failed")
	s.call(t, "PATCH", msgs+"/1", map[string]any{"body": "x", "attributes": "{}"}).wantError(t, 422, "validation_failed")
	s.call(t, "POST", msgs, `{"body": "\ud800"}`).wantError(t, 422, "validation_failed")
	eventually(t, "message 1 persisted", func() bool { return s.call(t, "GET", msgs+"/1", nil).Status == 200 })
	if b := s.call(t, "GET", msgs+"/1", nil).str("body"); b != "first" {
		t.Fatalf("a refused edit changed the body to %q", b)
	}
}

func hostileCases(t *testing.T, s *stack) {
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
