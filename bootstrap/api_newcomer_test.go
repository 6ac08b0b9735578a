package bootstrap_test

import (
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
		form := []string{"Content-Type", "application/x-www-form-urlencoded"}
		if r := s.call(t, "POST", msgs, `{"body":"sent by curl -d"}`, form...).want(t, 201); r.str("body") != "sent by curl -d" {
			t.Fatalf("created %s", r.Raw)
		}
		if r := s.call(t, "POST", "/api/v1/chat_applications", ` {"name":"curl app"}`, form...).want(t, 201); r.str("name") != "curl app" {
			t.Fatalf("created %s", r.Raw)
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
