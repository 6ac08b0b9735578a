package bootstrap_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
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
	t.Run("applications", func(t *testing.T) {
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
	})

	t.Run("bad input is refused and changes nothing", func(t *testing.T) {
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
	})

	t.Run("hostile requests", func(t *testing.T) {
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
	})

	t.Run("chats and messages", func(t *testing.T) {
		tok := newApplication(t, s, "Chatty")
		app := "/api/v1/chat_applications/" + tok
		for want := int64(1); want <= 3; want++ {
			r := s.call(t, "POST", app+"/chats", nil).want(t, 201)
			if r.num("number") != want || r.num("messages_count") != 0 {
				t.Fatalf("chat %s, want number %d", r.Raw, want)
			}
		}
		r := s.call(t, "POST", app+"/chats", map[string]any{"chat": map[string]any{}}).want(t, 201)
		if r.num("number") != 4 {
			t.Fatalf("chat with a body %s", r.Raw)
		}
		msgs := app + "/chats/2/messages"
		for i := 1; i <= 5; i++ {
			r := s.call(t, "POST", msgs, map[string]any{"body": fmt.Sprintf("message %d", i)}).want(t, 201)
			if r.num("number") != int64(i) || r.str("body") != fmt.Sprintf("message %d", i) {
				t.Fatalf("message %s", r.Raw)
			}
		}
		r = s.call(t, "POST", msgs, map[string]any{"message": map[string]any{"body": "rails message"}}).want(t, 201)
		if r.num("number") != 6 {
			t.Fatalf("Rails-style message %s", r.Raw)
		}
		// Edited right after it was created: the edit wins.
		s.call(t, "POST", msgs, map[string]any{"body": "draft"}).want(t, 201)
		e := s.call(t, "PATCH", msgs+"/7", map[string]any{"body": "final"}).want(t, 200)
		if e.str("body") != "final" || e.num("number") != 7 {
			t.Fatalf("edit answer %s", e.Raw)
		}
		s.call(t, "PUT", msgs+"/7", map[string]any{"message": map[string]any{"body": "really final"}}).want(t, 200)

		eventually(t, "7 messages persisted", func() bool {
			r := s.call(t, "GET", msgs+"?limit=200", nil)
			return r.Status == 200 && len(r.items(t)) == 7
		})
		eventually(t, "the last edit applied", func() bool {
			return s.call(t, "GET", msgs+"/7", nil).str("body") == "really final"
		})
		m := s.call(t, "GET", msgs+"/1", nil).want(t, 200)
		if got := sortedKeys(m.Body); got != "body,created_at,number,updated_at" {
			t.Fatalf("message fields %s", got)
		}
		// Conditional reads: 304 while unchanged, the new body once edited.
		for _, path := range []string{msgs + "/7", msgs + "?limit=3", app + "/chats/2"} {
			r := s.call(t, "GET", path, nil).want(t, 200)
			tag := r.Header.Get("ETag")
			if tag == "" {
				t.Fatalf("GET %s without an ETag", path)
			}
			if nm := s.call(t, "GET", path, nil, "If-None-Match", tag); nm.Status != 304 || nm.Raw != "" {
				t.Fatalf("GET %s with its ETag: %d %q, want 304 and no body", path, nm.Status, nm.Raw)
			}
		}
		tag := s.call(t, "GET", msgs+"/7", nil).Header.Get("ETag")
		s.call(t, "PATCH", msgs+"/7", map[string]any{"body": "edited once more"}).want(t, 200)
		eventually(t, "the edit applied", func() bool {
			r := s.call(t, "GET", msgs+"/7", nil, "If-None-Match", tag)
			return r.Status == 200 && r.str("body") == "edited once more" && r.Header.Get("ETag") != tag
		})

		// Pagination walks every message once, in order, with opaque cursors.
		var seen []int64
		cursor := ""
		for pages := 0; ; pages++ {
			q := "?limit=3"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			p := s.call(t, "GET", msgs+q, nil).want(t, 200)
			for _, it := range p.items(t) {
				seen = append(seen, int64(it["number"].(float64)))
			}
			if p.Body["has_more"] != true {
				if p.Body["next_cursor"] != nil {
					t.Fatalf("last page with a cursor: %s", p.Raw)
				}
				break
			}
			cursor = p.str("next_cursor")
			if cursor == "" || strings.Contains(cursor, "id") {
				t.Fatalf("cursor %q", cursor)
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if fmt.Sprint(seen) != "[1 2 3 4 5 6 7]" {
			t.Fatalf("paged through %v", seen)
		}
		// Paging both ways, by number, as chat screens load history.
		numbersOf := func(r response) string {
			var out []string
			for _, it := range r.items(t) {
				out = append(out, fmt.Sprint(it["number"]))
			}
			return strings.Join(out, ",")
		}
		page := func(q string) response { return s.call(t, "GET", msgs+q, nil).want(t, 200) }
		walk := func(q string) []string {
			var got []string
			r := page(q)
			for {
				got = append(got, numbersOf(r))
				if r.Body["next_cursor"] == nil {
					return got
				}
				// The cursor carries the direction and the order.
				r = page("?limit=3&cursor=" + url.QueryEscape(r.str("next_cursor")))
			}
		}
		for q, want := range map[string]string{
			"?order=desc&limit=3":          "[7,6,5 4,3,2 1]",
			"?limit=3&before=7":            "[4,5,6 1,2,3]",
			"?limit=3&before=7&order=desc": "[6,5,4 3,2,1]",
			"?limit=3&after=2":             "[3,4,5 6,7]",
			"?limit=3&around=4":            "[3,4,5]",
			"?limit=3&around=4&order=desc": "[5,4,3]",
			"?limit=4&around=1":            "[1,2,3,4]",
			"?limit=3&around=7":            "[6,7]",
		} {
			if got := fmt.Sprint(walk(q)); got != want {
				t.Errorf("GET messages%s walked %s, want %s", q, got, want)
			}
		}
		if got := numbersOf(s.call(t, "GET", app+"/chats?order=desc&limit=2", nil).want(t, 200)); got != "4,3" {
			t.Errorf("chats newest first: %s", got)
		}
		for _, q := range []string{"?after=1&before=3", "?around=2&after=1", "?order=sideways", "?around=0", "?before=x", "?after=-1",
			"?after=1&cursor=" + url.QueryEscape(page("?limit=1").str("next_cursor"))} {
			s.call(t, "GET", msgs+q, nil).wantError(t, 400, "bad_request")
		}

		eventually(t, "counters converge", func() bool {
			a := s.call(t, "GET", "/api/v1/chat_applications/"+tok, nil)
			c := s.call(t, "GET", app+"/chats/2", nil)
			return a.num("chats_count") == 4 && c.num("messages_count") == 7
		})
		chats := s.call(t, "GET", app+"/chats", nil).want(t, 200)
		if got := sortedKeys(chats.items(t)[0]); got != "created_at,messages_count,number,updated_at" {
			t.Fatalf("chat fields %s", got)
		}
		if len(chats.items(t)) != 4 || chats.Body["has_more"] != false {
			t.Fatalf("chats page %s", chats.Raw)
		}
	})

	t.Run("cached reads are the store's answers and follow every change", func(t *testing.T) {
		tok := newApplication(t, s, "Cached")
		app := "/api/v1/chat_applications/" + tok
		s.call(t, "POST", app+"/chats", nil).want(t, 201)
		msgs := app + "/chats/1/messages"
		for _, b := range []string{"one", "two", "three é ✓"} {
			s.call(t, "POST", msgs, map[string]any{"body": b}).want(t, 201)
		}
		eventually(t, "3 messages persisted", func() bool {
			r := s.call(t, "GET", msgs, nil)
			return r.Status == 200 && len(r.items(t)) == 3
		})
		paths := []string{msgs + "/3", msgs + "?limit=2", msgs + "?order=desc", msgs + "?around=2&limit=2", app + "/chats/1"}
		for _, path := range paths {
			first := s.call(t, "GET", path, nil).want(t, 200)
			for range 2 { // from the cache
				if again := s.call(t, "GET", path, nil).want(t, 200); again.Raw != first.Raw || again.Header.Get("ETag") != first.Header.Get("ETag") {
					t.Fatalf("GET %s answered %s, then %s", path, first.Raw, again.Raw)
				}
			}
		}
		s.call(t, "POST", msgs, map[string]any{"body": "four"}).want(t, 201)
		s.call(t, "PATCH", msgs+"/3", map[string]any{"body": "three, edited"}).want(t, 200)
		eventually(t, "the new message, the edit and the count read everywhere", func() bool {
			var bodies []string
			for _, it := range s.call(t, "GET", msgs+"?order=desc", nil).want(t, 200).items(t) {
				bodies = append(bodies, it["body"].(string))
			}
			return strings.Join(bodies, ",") == "four,three, edited,two,one" &&
				s.call(t, "GET", msgs+"/3", nil).str("body") == "three, edited" &&
				s.call(t, "GET", app+"/chats/1", nil).num("messages_count") == 4
		})
	})

	t.Run("deleting a message", func(t *testing.T) {
		tok := newApplication(t, s, "Deleter")
		app := "/api/v1/chat_applications/" + tok
		s.call(t, "POST", app+"/chats", nil).want(t, 201)
		msgs := app + "/chats/1/messages"
		for _, b := range []string{"keep apple", "drop apple", "keep pear", "drop pear"} {
			s.call(t, "POST", msgs, map[string]any{"body": b}).want(t, 201)
		}
		eventually(t, "4 messages searchable", func() bool {
			r := s.call(t, "GET", msgs+"/search?q=apple", nil)
			return r.Status == 200 && len(r.items(t)) == 2
		})
		s.call(t, "PATCH", msgs+"/2", map[string]any{"body": "drop apple, edited"}).want(t, 200)
		if r := s.call(t, "DELETE", msgs+"/2", nil).want(t, 204); r.Raw != "" {
			t.Fatalf("204 with a body %q", r.Raw)
		}
		s.call(t, "DELETE", msgs+"/4", nil).want(t, 204)
		s.call(t, "DELETE", msgs+"/4", nil).want(t, 204) // again: nothing more happens
		s.call(t, "PATCH", msgs+"/4", map[string]any{"body": "back?"}).want(t, 200)
		s.call(t, "DELETE", msgs+"/9", nil).wantError(t, 404, "not_found")
		s.call(t, "DELETE", msgs+"/x", nil).wantError(t, 400, "bad_request")
		eventually(t, "the deletes applied", func() bool {
			r := s.call(t, "GET", msgs, nil)
			return r.Status == 200 && fmt.Sprint(len(r.items(t))) == "2" && s.call(t, "GET", msgs+"/2", nil).Status == 404 &&
				s.call(t, "GET", msgs+"/4", nil).Status == 404
		})
		eventually(t, "they left search", func() bool {
			r := s.call(t, "GET", msgs+"/search?q=drop", nil)
			return r.Status == 200 && len(r.items(t)) == 0
		})
		eventually(t, "and the counter", func() bool { return s.call(t, "GET", app+"/chats/1", nil).num("messages_count") == 2 })
		if n := s.call(t, "POST", msgs, map[string]any{"body": "next"}).want(t, 201).num("number"); n != 5 {
			t.Fatalf("the number after deletes is %d, want 5: numbers are never reused", n)
		}
		// Paging both ways steps over the holes the deletes left.
		eventually(t, "message 5 persisted", func() bool { return s.call(t, "GET", msgs+"/5", nil).Status == 200 })
		pageOf := func(q string) (string, string) {
			r := s.call(t, "GET", msgs+q, nil).want(t, 200)
			var out []string
			for _, it := range r.items(t) {
				out = append(out, fmt.Sprint(it["number"]))
			}
			next := ""
			if r.Body["next_cursor"] != nil {
				next = r.str("next_cursor")
			}
			return strings.Join(out, ","), next
		}
		if got, next := pageOf("?order=desc&limit=2"); got != "5,3" || next == "" {
			t.Fatalf("newest first over holes: %s (cursor %q)", got, next)
		} else if got, next := pageOf("?limit=2&cursor=" + url.QueryEscape(next)); got != "1" || next != "" {
			t.Fatalf("the page after: %s (cursor %q)", got, next)
		}
		if got, _ := pageOf("?around=3&limit=3"); got != "1,3,5" {
			t.Fatalf("around a hole's neighbour: %s", got)
		}
		if got, _ := pageOf("?before=5&limit=1"); got != "3" {
			t.Fatalf("before 5: %s", got)
		}
	})

	t.Run("retry-safe writes with Idempotency-Key", func(t *testing.T) {
		idempotencySuite(t, []*stack{s})
	})

	t.Run("tenants are isolated", func(t *testing.T) {
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
	})

	t.Run("search", func(t *testing.T) {
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
	})

	t.Run("operator listing", func(t *testing.T) {
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
	})

	t.Run("request ids and operational endpoints", func(t *testing.T) {
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
	})
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
