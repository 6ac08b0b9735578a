package bootstrap_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// mint is what an application's server does: a user token signed with its
// secret (HS256), expiring in an hour unless claims say otherwise.
func mint(t *testing.T, secret, sub string, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	c := jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The users of a protected application, named by what their token makes them
// in chat 1.
const (
	userMember    = "member"
	userModerator = "moderator"
	userStranger  = "non-member"
	userReader    = "read scope"
	userLimited   = "token limited to other chats"
	userOtherApp  = "another application's token"
	userExpired   = "expired token"
)

// membersApplication makes a protected application whose chat 1 (made by
// the secret) has a moderator "mod", members "mem" and "mem2", and three
// persisted messages (the third by "mem"); chat 2 is the stranger's own. It answers the token,
// the secret and each kind of user's token.
func membersApplication(t *testing.T, s *stack) (string, string, map[string]string) {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Members"}).want(t, 201)
	tok, secret := r.str("token"), r.str("secret")
	app := "/api/v1/chat_applications/" + tok
	other := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Other"}).want(t, 201).str("secret")
	s.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(secret)...).want(t, 200)
	members := []map[string]any{{"user_id": "mod", "role": "moderator"}, {"user_id": "mem", "role": "member"}, {"user_id": "mem2"}}
	if r := s.call(t, "POST", app+"/chats", map[string]any{"members": members}, bearerHeader(secret)...).want(t, 201); r.num("number") != 1 {
		t.Fatalf("created %s", r.Raw)
	}
	tokens := map[string]string{
		userMember:    mint(t, secret, "mem", nil, nil),
		userModerator: mint(t, secret, "mod", nil, map[string]any{"kid": "current"}),
		userStranger:  mint(t, secret, "stranger", nil, nil),
		userReader:    mint(t, secret, "mem", jwt.MapClaims{"scope": "read"}, nil),
		userLimited:   mint(t, secret, "mem", jwt.MapClaims{"chats": []int{2}}, nil),
		userOtherApp:  mint(t, other, "mem", nil, nil),
		userExpired:   mint(t, secret, "mem", jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}, nil),
	}
	s.call(t, "POST", app+"/chats", nil, bearerHeader(tokens[userStranger])...).want(t, 201)
	for _, body := range []string{"hello one", "hello two"} {
		s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": body}, bearerHeader(secret)...).want(t, 201)
	}
	s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "hello three, the member's"}, bearerHeader(tokens[userMember])...).want(t, 201)
	eventually(t, "chat 1's three messages persisted", func() bool {
		r := s.call(t, "GET", app+"/chats/1/messages", nil, bearerHeader(secret)...)
		return r.Status == 200 && strings.Count(r.Raw, `"number":`) == 3
	})
	eventually(t, "chat 2 persisted", func() bool { return s.call(t, "GET", app+"/chats/2", nil, bearerHeader(secret)...).Status == 200 })
	return tok, secret, tokens
}

type memberRoute struct {
	method, path string
	body         any
	// want is the status for each kind of user (200 unless named).
	want map[string]int
}

var (
	hidden    = map[string]int{userStranger: 404, userLimited: 404}
	readOnly  = map[string]int{userStranger: 404, userLimited: 404, userReader: 403}
	moderates = map[string]int{userMember: 403, userStranger: 404, userLimited: 404, userReader: 403}
	appOnly   = map[string]int{userMember: 403, userModerator: 403, userStranger: 403, userReader: 403, userLimited: 403}
)

func statuses(base int, over map[string]int) map[string]int {
	out := map[string]int{}
	for _, u := range []string{userMember, userModerator, userStranger, userReader, userLimited} {
		out[u] = base
		if s, ok := over[u]; ok {
			out[u] = s
		}
	}
	out[userOtherApp], out[userExpired] = 401, 401
	return out
}

var memberRoutes = []memberRoute{
	{"GET", "", nil, statuses(200, nil)},
	{"PATCH", "", map[string]any{"name": "Renamed"}, statuses(200, appOnly)},
	{"PUT", "", map[string]any{"name": "Renamed again"}, statuses(200, appOnly)},
	{"POST", "/secrets", nil, statuses(201, appOnly)},
	{"DELETE", "/secrets/previous", nil, statuses(204, appOnly)},
	{"POST", "/chats", nil, statuses(201, map[string]int{userReader: 403, userLimited: 403})},
	{"POST", "/chats", map[string]any{"members": []map[string]any{{"user_id": "x"}}}, statuses(403, nil)},
	{"GET", "/chats", nil, statuses(200, nil)},
	{"GET", "/chats/1", nil, statuses(200, hidden)},
	{"GET", "/chats/1/events", nil, statuses(200, hidden)},
	{"POST", "/chats/1/messages", map[string]any{"body": "more"}, statuses(201, readOnly)},
	{"GET", "/chats/1/messages", nil, statuses(200, hidden)},
	{"GET", "/chats/1/messages/search?q=hello", nil, statuses(200, hidden)},
	{"GET", "/chats/1/messages/1", nil, statuses(200, hidden)},
	{"GET", "/chats/1/messages/1/replies", nil, statuses(200, hidden)},
	{"PATCH", "/chats/1/messages/1", map[string]any{"body": "edited"}, statuses(200, moderates)},
	{"PUT", "/chats/1/messages/1", map[string]any{"body": "edited again"}, statuses(200, moderates)},
	{"DELETE", "/chats/1/messages/2", nil, statuses(204, moderates)},
	// Message 3 is the member's own: they edit and delete it, as a moderator may.
	{"PATCH", "/chats/1/messages/3", map[string]any{"body": "my edit"}, statuses(200, readOnly)},
	{"PUT", "/chats/1/messages/3", map[string]any{"body": "my edit again"}, statuses(200, readOnly)},
	{"DELETE", "/chats/1/messages/3", nil, statuses(204, readOnly)},
	{"GET", "/chats/1/members", nil, statuses(200, hidden)},
	{"PUT", "/chats/1/members/new", map[string]any{"role": "member"}, statuses(200, moderates)},
	{"DELETE", "/chats/1/members/mem2", nil, statuses(204, moderates)},
	{"PATCH", "/chats/1", map[string]any{"retention_days": 30}, statuses(403, nil)},
	{"GET", "/me/events", nil, statuses(200, nil)},
	{"POST", "/chats/1/typing", nil, statuses(204, readOnly)},
	{"DELETE", "", nil, statuses(403, nil)},
	// Reading is reading: a read token marks read too.
	{"PUT", "/chats/1/read", map[string]any{"through": 1}, statuses(200, hidden)},
	{"GET", "/me/chats", nil, statuses(200, nil)},
}

// memberSnapshot is what a refused request must leave as it was: the
// application, chat 1, its messages and members, every chat.
func memberSnapshot(t *testing.T, s *stack, tok, secret string) string {
	t.Helper()
	app := "/api/v1/chat_applications/" + tok
	h := bearerHeader(secret)
	var parts []string
	for _, p := range []string{"", "/chats", "/chats/1/messages", "/chats/1/members", "/chats/2/members"} {
		parts = append(parts, s.call(t, "GET", app+p, nil, h...).want(t, 200).Raw)
	}
	return counters.ReplaceAllString(strings.Join(parts, "\n"), "")
}

// Every route × every kind of user token: each gets its status, and a
// refused request (401, 403, 404) changes nothing.
func memberMatrixCases(t *testing.T, s *stack) {
	tok, secret, tokens := membersApplication(t, s)
	base := "/api/v1/chat_applications/" + tok
	users := []string{userMember, userModerator, userStranger, userReader, userLimited, userOtherApp, userExpired}
	for _, accepted := range []bool{false, true} { // the refusals first: no accepted write still persisting
		for _, rt := range memberRoutes {
			for _, u := range users {
				want := rt.want[u]
				if (want < 300) != accepted {
					continue
				}
				t.Run(rt.method+" "+rt.path+" as "+u, func(t *testing.T) {
					h := bearerHeader(tokens[u])
					if strings.HasSuffix(rt.path, "/events") && want == 200 {
						follow(t, s, base+rt.path, h...).close()
						return
					}
					var before string
					if !accepted {
						before = memberSnapshot(t, s, tok, secret)
					}
					r := s.call(t, rt.method, base+rt.path, rt.body, h...)
					if r.Status != want {
						t.Fatalf("%d %s, want %d", r.Status, r.Raw, want)
					}
					if want == 401 && r.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
						t.Fatalf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
					}
					if !accepted {
						if after := memberSnapshot(t, s, tok, secret); after != before {
							t.Fatalf("a refused request changed the state:\nbefore %s\nafter  %s", before, after)
						}
					}
				})
			}
		}
	}
}

// What a user sees: their chats only, public chats too, and who made what.
func membersCases(t *testing.T, s *stack) {
	tok, secret, tokens := membersApplication(t, s)
	app := "/api/v1/chat_applications/" + tok
	numbers := func(r response) string {
		var out []string
		for _, it := range r.items(t) {
			out = append(out, fmt.Sprint(it["number"]))
		}
		return strings.Join(out, ",")
	}
	// The stranger created chat 2: its moderator, and it is their only chat.
	mine := s.call(t, "GET", app+"/chats", nil, bearerHeader(tokens[userStranger])...).want(t, 200)
	if got := numbers(mine); got != "2" {
		t.Fatalf("the stranger's chats: %s", mine.Raw)
	}
	if got := numbers(s.call(t, "GET", app+"/chats", nil, bearerHeader(tokens[userMember])...).want(t, 200)); got != "1" {
		t.Fatalf("the member's chats: %s", got)
	}
	if got := numbers(s.call(t, "GET", app+"/chats", nil, bearerHeader(tokens[userLimited])...).want(t, 200)); got != "" {
		t.Fatalf("a token limited to chat 2 lists %s", got)
	}
	m := s.call(t, "GET", app+"/chats/2/members", nil, bearerHeader(tokens[userStranger])...).want(t, 200).items(t)
	if len(m) != 1 || m[0]["user_id"] != "stranger" || m[0]["role"] != "moderator" || m[0]["joined_at"] == nil {
		t.Fatalf("chat 2's members %v", m)
	}
	// Members page by user id.
	p := s.call(t, "GET", app+"/chats/1/members?limit=2", nil, bearerHeader(secret)...).want(t, 200)
	if got := p.Raw; !strings.Contains(got, `"mem"`) || !strings.Contains(got, `"mem2"`) || p.Body["has_more"] != true {
		t.Fatalf("first page of members %s", p.Raw)
	}
	p = s.call(t, "GET", app+"/chats/1/members?cursor="+p.str("next_cursor"), nil, bearerHeader(secret)...).want(t, 200)
	if items := p.items(t); len(items) != 1 || items[0]["user_id"] != "mod" {
		t.Fatalf("second page of members %s", p.Raw)
	}
	s.call(t, "GET", app+"/chats/1/members?cursor=%%%", nil, bearerHeader(secret)...).wantError(t, 400, "bad_request")
	s.call(t, "PUT", app+"/chats/1/members/x", map[string]any{"role": "owner"}, bearerHeader(secret)...).wantError(t, 422, "validation_failed")
	s.call(t, "PUT", app+"/chats/99/members/x", map[string]any{"role": "member"}, bearerHeader(secret)...).wantError(t, 404, "not_found")
	s.call(t, "DELETE", app+"/chats/1/members/nobody", nil, bearerHeader(secret)...).wantError(t, 404, "not_found")

	// A public chat: every user reads it and posts, and becomes a member.
	pub := s.call(t, "POST", app+"/chats", map[string]any{"visibility": "public"}, bearerHeader(secret)...).want(t, 201).num("number")
	s.call(t, "POST", app+"/chats", map[string]any{"visibility": "everyone"}, bearerHeader(secret)...).wantError(t, 422, "validation_failed")
	chat := app + "/chats/" + strconv.FormatInt(pub, 10)
	eventually(t, "the public chat persisted", func() bool {
		return s.call(t, "GET", chat, nil, bearerHeader(tokens[userStranger])...).Status == 200
	})
	s.call(t, "POST", chat+"/messages", map[string]any{"body": "hi all"}, bearerHeader(tokens[userStranger])...).want(t, 201)
	if got := s.call(t, "GET", chat+"/members", nil, bearerHeader(secret)...).want(t, 200).Raw; !strings.Contains(got, `"stranger"`) {
		t.Fatalf("the poster is not a member: %s", got)
	}
	s.call(t, "POST", chat+"/messages", map[string]any{"body": "no"}, bearerHeader(tokens[userReader])...).wantError(t, 403, "forbidden")

	// Leaving: the member removes themselves, and is refused from then on.
	s.call(t, "DELETE", app+"/chats/1/members/mem", nil, bearerHeader(tokens[userMember])...).want(t, 204)
	s.call(t, "GET", app+"/chats/1", nil, bearerHeader(tokens[userMember])...).wantError(t, 404, "not_found")
	s.call(t, "DELETE", app+"/chats/1/members/mem", nil, bearerHeader(tokens[userMember])...).wantError(t, 404, "not_found")
	// An ETag a member held is nothing to a user who may no longer see.
	etag := s.call(t, "GET", app+"/chats/1/messages", nil, bearerHeader(tokens[userModerator])...).want(t, 200).Header.Get("ETag")
	s.call(t, "GET", app+"/chats/1/messages", nil, "If-None-Match", etag, "Authorization", "Bearer "+tokens[userMember]).wantError(t, 404, "not_found")
	s.call(t, "GET", app+"/chats/1/messages", nil, "If-None-Match", etag, "Authorization", "Bearer "+tokens[userModerator]).want(t, 304)
	// Whoever asks decides the answer: every answer with an ETag (a 304
	// too) tells a cache in between to key it by the credential as well.
	for _, path := range []string{"", "/chats", "/chats/1", "/chats/1/messages", "/chats/1/messages/1", "/chats/1/messages/search?q=hello", "/chats/1/members"} {
		for _, cred := range []string{secret, tokens[userModerator]} {
			r := s.call(t, "GET", app+path, nil, bearerHeader(cred)...).want(t, 200)
			again := s.call(t, "GET", app+path, nil, "If-None-Match", r.Header.Get("ETag"), "Authorization", "Bearer "+cred).want(t, 304)
			for _, h := range []http.Header{r.Header, again.Header} {
				if r.Header.Get("ETag") == "" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Authorization") {
					t.Fatalf("GET %s: ETag %q, Vary %q", path, r.Header.Get("ETag"), h.Values("Vary"))
				}
			}
		}
	}
}
