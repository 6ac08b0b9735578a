package bootstrap_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// newcomerSuite walks what a new user does first, as the README and the
// API documentation tell it (issue 27's stumbles).
func newcomerSuite(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Newcomer")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	eventually(t, "the chat persisted", func() bool { return s.call(t, "GET", app+"/chats/1", nil).Status == 200 })
	msgs := app + "/chats/1/messages"

	t.Run("after=0 is the start", func(t *testing.T) {
		r := s.call(t, "GET", msgs+"?wait=100ms", nil).want(t, 200)
		if len(r.items(t)) != 0 || r.num("through") != 0 {
			t.Fatalf("long poll on an empty chat: %s", r.Raw)
		}
		// The documented loop: ask after the "through" of the last answer.
		r = s.call(t, "GET", msgs+"?after=0&wait=100ms", nil).want(t, 200)
		if len(r.items(t)) != 0 || r.num("through") != 0 {
			t.Fatalf("long poll after 0: %s", r.Raw)
		}
		if got := s.call(t, "GET", app+"/chats?after=0", nil).want(t, 200).items(t); len(got) != 1 {
			t.Fatalf("chats after 0: %v", got)
		}
		s.call(t, "GET", msgs+"?after=-1", nil).wantError(t, 400, "bad_request")
		s.call(t, "GET", msgs+"?before=0", nil).wantError(t, 400, "bad_request")
	})

	t.Run("JSON sent as a form, curl's default, is read as JSON", func(t *testing.T) {
		// (Sent as curl sends it, past the suite's check against openapi.json,
		// whose form schema cannot say that a form may be JSON.)
		curl := func(path, body string) map[string]any {
			res, err := http.Post(s.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 201 {
				t.Fatalf("POST %s: %d %v %v", path, res.StatusCode, out, err)
			}
			return out
		}
		if r := curl(msgs, `{"body":"sent by curl -d"}`); r["body"] != "sent by curl -d" {
			t.Fatalf("created %v", r)
		}
		if r := curl("/api/v1/chat_applications", ` {"name":"curl app"}`); r["name"] != "curl app" {
			t.Fatalf("created %v", r)
		}
		r := s.call(t, "GET", msgs+"?after=0&wait=5s", nil).want(t, 200)
		if items := r.items(t); len(items) != 1 || items[0]["body"] != "sent by curl -d" || r.num("through") != 1 {
			t.Fatalf("long poll after 0 with a message: %s", r.Raw)
		}
	})

	t.Run("an empty Idempotency-Key is refused and changes nothing", func(t *testing.T) {
		s.call(t, "POST", msgs, map[string]any{"body": "keyless"}, "Idempotency-Key", "").wantError(t, 400, "bad_request")
		s.call(t, "DELETE", msgs+"/1", nil, "Idempotency-Key", "").wantError(t, 400, "bad_request")
		s.call(t, "GET", msgs+"/1", nil).want(t, 200)
		if r := s.call(t, "GET", app+"/chats/1", nil).want(t, 200); r.num("messages_count") > 1 {
			t.Fatalf("a refused create counted: %s", r.Raw)
		}
	})

	t.Run("what openapi.json refuses is refused", func(t *testing.T) {
		r := s.call(t, "PUT", msgs+"/search", map[string]any{"body": "x"})
		r.wantError(t, 405, "method_not_allowed")
		if r.Header.Get("Allow") != "GET, HEAD" {
			t.Fatalf("Allow %q on the search's path", r.Header.Get("Allow"))
		}
		for _, q := range []string{msgs + "?cursor=", app + "/chats?limit=", msgs + "?wait=", msgs + "/search?q=x&cursor="} {
			s.call(t, "GET", q, nil).wantError(t, 400, "bad_request")
		}
		s.call(t, "GET", app+"/chats/1/events", nil, "Last-Event-ID", "").wantError(t, 400, "bad_request")
		s.call(t, "GET", app+"/chats/1/events?after=x", nil, "Last-Event-ID", "1-1").wantError(t, 400, "bad_request")
		for _, body := range []string{`{"body":"a","message":{"body":"b"}}`, `{"body":null}`, `{"message":null}`} {
			s.call(t, "POST", msgs, body).wantError(t, 400, "bad_request")
		}
		// A form's only nested keys are the wrapper's; others are extra keys, ignored.
		form := []string{"Content-Type", "application/x-www-form-urlencoded"}
		if r := s.call(t, "POST", msgs, "body=plain&other%5Bkey%5D=x&message=y", form...).want(t, 201); r.str("body") != "plain" {
			t.Fatalf("form with extra keys: %s", r.Raw)
		}
	})

	t.Run("an X-Request-ID is echoed only when at most 128 printable characters", func(t *testing.T) {
		for _, id := range []string{strings.Repeat("r", 128), "with spaces and ~!"} {
			if got := s.call(t, "GET", "/healthz", nil, "X-Request-ID", id).Header.Get("X-Request-ID"); got != id {
				t.Fatalf("X-Request-ID %q, want the client's %q", got, id)
			}
		}
		long := strings.Repeat("r", 129)
		for _, path := range []string{"/healthz", app + "/chats/x"} {
			if got := s.call(t, "GET", path, nil, "X-Request-ID", long).Header.Get("X-Request-ID"); got == "" || len(got) > 128 {
				t.Fatalf("%s: X-Request-ID %q for a client's of 129 characters", path, got)
			}
		}
	})
}

// The embedded profile counts what it persists and indexes, as workers do.
func TestEmbeddedMetricsCountPersistedAndIndexed(t *testing.T) {
	s := embeddedStack(t, nil)
	app := "/api/v1/chat_applications/" + newApplication(t, s, "Counted")
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "counted"}).want(t, 201)
	eventually(t, "2 events persisted and indexed, in /metrics", func() bool {
		m := s.call(t, "GET", "/metrics", nil).Raw
		return counterValue(m, "chat_events_persisted_total") >= 2 && counterValue(m, "chat_events_indexed_total") >= 2
	})
}

func counterValue(exposition, name string) float64 {
	for _, line := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

// CHAT_RATE_LIMIT behind a proxy: each client its own budget, by the
// X-Real-IP the proxy sets, believed from CHAT_TRUSTED_PROXIES only.
func TestRateLimitPerClientBehindProxy(t *testing.T) {
	path := "/api/v1/chat_applications/AAAAAAAAAAAAAAAAAAAAAAAA"
	burst := func(s *stack, client string) (limited int) {
		for i := 0; i < 20; i++ {
			if s.call(t, "GET", path, nil, "X-Real-IP", client).Status == 429 {
				limited++
			}
		}
		return limited
	}
	behind := embeddedStack(t, map[string]string{"CHAT_RATE_LIMIT": "5", "CHAT_TRUSTED_PROXIES": "127.0.0.0/8, ::1"})
	if burst(behind, "203.0.113.1") == 0 {
		t.Fatal("one client's 20 requests in a burst all served under a limit of 5 per second")
	}
	if st := behind.call(t, "GET", path, nil, "X-Real-IP", "203.0.113.2").Status; st == 429 {
		t.Fatal("another client behind the same proxy was limited too")
	}
	// Not from a trusted proxy: X-Real-IP is the client's say, not believed.
	direct := embeddedStack(t, map[string]string{"CHAT_RATE_LIMIT": "5"})
	limited := 0
	for i := 0; i < 20; i++ {
		if direct.call(t, "GET", path, nil, "X-Real-IP", "203.0.113."+strconv.Itoa(i+1)).Status == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("a client escaped the limit by naming another address in X-Real-IP")
	}
}
