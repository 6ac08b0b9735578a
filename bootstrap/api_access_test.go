package bootstrap_test

import (
	"regexp"
	"strings"
	"testing"
)

// A protected application's credentials, named by what they are.
type credentials map[string]string

const (
	credNone     = "no credential"
	credCurrent  = "current secret"
	credPrevious = "previous secret within grace"
	credRevoked  = "previous secret after DELETE …/previous"
	credOther    = "another application's secret"
	credGarbage  = "a garbage bearer"
	credJWT      = "a JWT-shaped bearer"
)

var refused = []string{credNone, credRevoked, credOther, credGarbage, credJWT}

func bearerHeader(secret string) []string {
	if secret == "" {
		return nil
	}
	return []string{"Authorization", "Bearer " + secret}
}

// protectedApplication makes an application with a chat of two persisted
// messages, rotates its secret twice with DELETE …/previous between (so
// that it has a current secret, a previous one within its grace, and one
// revoked), and switches it to protected.
func protectedApplication(t *testing.T, s *stack) (string, credentials) {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Guarded"}).want(t, 201)
	tok, first := r.str("token"), r.str("secret")
	app := "/api/v1/chat_applications/" + tok
	other := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Other"}).want(t, 201).str("secret")
	second := s.call(t, "POST", app+"/secrets", nil, bearerHeader(first)...).want(t, 201).str("secret")
	if r := s.call(t, "DELETE", app+"/secrets/previous", nil, bearerHeader(second)...).want(t, 204); r.Raw != "" {
		t.Fatalf("204 with a body %q", r.Raw)
	}
	third := s.call(t, "POST", app+"/secrets", nil, bearerHeader(second)...).want(t, 201).str("secret")
	if r := s.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(third)...).want(t, 200); r.str("access") != "protected" {
		t.Fatalf("after the switch %s", r.Raw)
	}
	s.call(t, "POST", app+"/chats", nil, bearerHeader(third)...).want(t, 201)
	for _, body := range []string{"hello one", "hello two"} {
		s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": body}, bearerHeader(third)...).want(t, 201)
	}
	bothPersisted(t, s, app, bearerHeader(third)...)
	return tok, credentials{credNone: "", credCurrent: third, credPrevious: second, credRevoked: first, credOther: other,
		credGarbage: "garbage", credJWT: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl"}
}

// bothPersisted waits until chat 1's two messages are listed: persisting is
// asynchronous in production, and not in creation order.
func bothPersisted(t *testing.T, s *stack, app string, headers ...string) {
	t.Helper()
	eventually(t, "messages persisted", func() bool {
		r := s.call(t, "GET", app+"/chats/1/messages", nil, headers...)
		return r.Status == 200 && strings.Count(r.Raw, `"number":`) == 2
	})
}

type accessRoute struct {
	method, path string // path under the application's
	body         any
	status       int  // with a valid credential
	rotates      bool // changes the secrets: run on an application of its own
}

var accessRoutes = []accessRoute{
	{"GET", "", nil, 200, false},
	{"PATCH", "", map[string]any{"name": "Renamed"}, 200, false},
	{"PUT", "", map[string]any{"name": "Renamed again"}, 200, false},
	{"POST", "/chats", nil, 201, false},
	{"GET", "/chats", nil, 200, false},
	{"GET", "/chats/1", nil, 200, false},
	{"GET", "/chats/1/events", nil, 200, false},
	{"POST", "/chats/1/messages", map[string]any{"body": "more"}, 201, false},
	{"GET", "/chats/1/messages", nil, 200, false},
	{"GET", "/chats/1/messages/search?q=hello", nil, 200, false},
	{"GET", "/chats/1/messages/1", nil, 200, false},
	{"GET", "/chats/1/messages/1/replies", nil, 200, false},
	{"PATCH", "/chats/1/messages/1", map[string]any{"body": "edited"}, 200, false},
	{"PUT", "/chats/1/messages/1", map[string]any{"body": "edited again"}, 200, false},
	{"DELETE", "/chats/1/messages/2", nil, 204, false},
	// A user's own: the application (secret, or open token) is no user.
	{"GET", "/me/events", nil, 403, false},
	{"POST", "/chats/1/typing", nil, 403, false},
	{"PUT", "/chats/1/read", map[string]any{"through": 1}, 403, false},
	{"GET", "/me/chats", nil, 403, false},
	{"POST", "/secrets", nil, 201, true},
	{"DELETE", "/secrets/previous", nil, 204, true},
	{"PATCH", "/chats/1", map[string]any{"retention_days": 30}, 200, false},
	{"DELETE", "", nil, 202, true},
}

// snapshot is what a refused request must leave as it was: the
// application, its chats, the chat's messages, and which secrets work.
func snapshot(t *testing.T, s *stack, tok string, creds credentials) string {
	t.Helper()
	app := "/api/v1/chat_applications/" + tok
	h := bearerHeader(creds[credCurrent])
	parts := []string{
		s.call(t, "GET", app, nil, h...).want(t, 200).Raw,
		s.call(t, "GET", app+"/chats", nil, h...).want(t, 200).Raw,
		s.call(t, "GET", app+"/chats/1/messages", nil, h...).want(t, 200).Raw,
	}
	for _, name := range []string{credPrevious, credRevoked} {
		parts = append(parts, name+"="+strings.Repeat("ok", boolInt(s.call(t, "GET", app, nil, bearerHeader(creds[name])...).Status == 200)))
	}
	// The counters are not live (they converge once writes stop): a
	// refused write would show in the lists.
	return counters.ReplaceAllString(strings.Join(parts, "\n"), "")
}

var counters = regexp.MustCompile(`"(chats|messages)_count":[0-9]+,`)

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Every route of a protected application × every kind of credential: the
// valid ones reach the route, the others are a 401 that changes nothing.
// The refusals run first, so that no accepted write is still persisting
// (asynchronously, in production) while a refusal is checked.
func accessMatrixCases(t *testing.T, s *stack) {
	tok, creds := protectedApplication(t, s)
	for _, rt := range accessRoutes {
		for _, name := range refused {
			t.Run(rt.method+" "+rt.path+" with "+name, func(t *testing.T) {
				before := snapshot(t, s, tok, creds)
				r := s.call(t, rt.method, "/api/v1/chat_applications/"+tok+rt.path, rt.body, bearerHeader(creds[name])...)
				r.wantError(t, 401, "unauthorized")
				challenge := `Bearer error="invalid_token"`
				if name == credNone {
					challenge = "Bearer"
				}
				if got := r.Header.Get("WWW-Authenticate"); got != challenge {
					t.Fatalf("WWW-Authenticate %q, want %q", got, challenge)
				}
				if after := snapshot(t, s, tok, creds); after != before {
					t.Fatalf("a refused request changed the state:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
	for _, rt := range accessRoutes {
		for _, name := range []string{credCurrent, credPrevious} {
			t.Run(rt.method+" "+rt.path+" with "+name, func(t *testing.T) {
				tok, creds := tok, creds
				if rt.rotates {
					tok, creds = protectedApplication(t, s)
				}
				path := "/api/v1/chat_applications/" + tok + rt.path
				if strings.HasSuffix(rt.path, "/events") && rt.status == 200 {
					follow(t, s, path, bearerHeader(creds[name])...).close()
					return
				}
				s.call(t, rt.method, path, rt.body, bearerHeader(creds[name])...).want(t, rt.status)
			})
		}
	}
}

// The same routes on an open application: the path token alone reaches
// each, and a wrong bearer is a 401 there too.
func openAccessCases(t *testing.T, s *stack) {
	for _, rt := range accessRoutes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Open"}).want(t, 201)
			tok, secret := r.str("token"), r.str("secret")
			app := "/api/v1/chat_applications/" + tok
			if r.str("access") != "open" || !strings.HasPrefix(secret, "sk_") {
				t.Fatalf("created %s", r.Raw)
			}
			s.call(t, "POST", app+"/chats", nil).want(t, 201)
			for _, body := range []string{"hello one", "hello two"} {
				s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": body}).want(t, 201)
			}
			bothPersisted(t, s, app)
			for _, wrong := range []string{"garbage", "sk_wrong", secret + "x"} {
				r := s.call(t, rt.method, app+rt.path, rt.body, bearerHeader(wrong)...)
				r.wantError(t, 401, "unauthorized")
			}
			if strings.HasSuffix(rt.path, "/events") && rt.status == 200 {
				follow(t, s, app+rt.path).close()
				follow(t, s, app+rt.path, bearerHeader(secret)...).close()
				return
			}
			s.call(t, rt.method, app+rt.path, rt.body).want(t, rt.status)
		})
	}
}
