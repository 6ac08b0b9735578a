package bootstrap_test

import (
	"encoding/base64"
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
	for _, c := range []struct {
		name string
		run  func(*testing.T, *stack)
	}{
		{"applications", applicationCases},
		{"bad input is refused and changes nothing", badInputCases},
		{"hostile requests", hostileRequestCases},
		{"chats and messages", chatAndMessageCases},
		{"cached reads are the store's answers and follow every change", cachedReadCases},
		{"deleting a message", deletionCases},
		{"retry-safe writes with Idempotency-Key", idempotencyCases},
		{"tenants are isolated", tenantCases},
		{"search", searchCases},
		{"operator listing", operatorListingCases},
		{"request ids and operational endpoints", operationalCases},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, s) })
	}
}

func applicationCases(t *testing.T, s *stack) {
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Acme"}).want(t, 201)
	if got := sortedKeys(r.Body); got != "chats_count,created_at,name,token,updated_at" {
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
		{"DELETE", app, nil, "", 405, "method_not_allowed"},
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
	s.call(t, "POST", msgs, `{"body": "\ud800"}`).wantError(t, 422, "validation_failed")
	eventually(t, "message 1 persisted", func() bool { return s.call(t, "GET", msgs+"/1", nil).Status == 200 })
	if b := s.call(t, "GET", msgs+"/1", nil).str("body"); b != "first" {
		t.Fatalf("a refused edit changed the body to %q", b)
	}
}
