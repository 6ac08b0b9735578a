package bootstrap_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A removal made through one api instance holds on the other from its
// answer on, though the other holds the user's role in its memory: the
// user's next request is refused, and their open stream and long poll on
// the chat end.
func TestMembersAcrossAPIs(t *testing.T) {
	env := productionEnv(t, nil)
	apis := apiInstances(t, loadConfig(t, env), 2)
	apis[0].addWorker(env, "w0")
	a, b := apis[0], apis[1]
	r := a.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Two"}).want(t, 201)
	app, secret := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	a.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(secret)...).want(t, 200)
	a.call(t, "POST", app+"/chats", map[string]any{"members": []map[string]any{{"user_id": "ann"}}}, bearerHeader(secret)...).want(t, 201)
	ann := mint(t, secret, "ann", nil, nil)
	eventually(t, "the chat persisted", func() bool {
		return b.call(t, "GET", app+"/chats/1", nil, bearerHeader(ann)...).Status == 200
	})
	for range 2 { // the second is answered from b's memory
		b.call(t, "GET", app+"/chats/1", nil, bearerHeader(ann)...).want(t, 200)
	}
	st := follow(t, b, app+"/chats/1/events?access_token="+url.QueryEscape(ann))
	polled := make(chan response, 1)
	go func() {
		polled <- b.call(t, "GET", app+"/chats/1/messages?after=0&wait=30s", nil, bearerHeader(ann)...)
	}()
	eventually(t, "the long poll is waiting", func() bool { return len(polled) == 0 })

	a.call(t, "DELETE", app+"/chats/1/members/ann", nil, bearerHeader(secret)...).want(t, 204)
	b.call(t, "GET", app+"/chats/1", nil, bearerHeader(ann)...).wantError(t, 404, "not_found")
	a.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "after the removal"}, bearerHeader(secret)...).want(t, 201)
	select {
	case e, open := <-st.events:
		if open {
			t.Fatalf("the removed user's stream delivered %v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the removed user's stream is still open")
	}
	select {
	case r := <-polled:
		r.wantError(t, 404, "not_found")
	case <-time.After(5 * time.Second):
		t.Fatal("the removed user's long poll is still waiting")
	}
}

// Tokens that are not the application's, or not valid, are a 401 with
// invalid_token, on every route that takes them; ?access_token= is for the
// live endpoints, and never a secret.
func userTokenCases(t *testing.T, s *stack) {
	tok, secret, tokens := membersApplication(t, s)
	app := "/api/v1/chat_applications/" + tok
	now := time.Now()
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "mem", "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hostile := map[string]string{
		"alg none":              none,
		"wrong key":             mint(t, secret+"x", "mem", nil, nil),
		"expired":               tokens[userExpired],
		"nbf ahead":             mint(t, secret, "mem", jwt.MapClaims{"nbf": now.Add(time.Hour).Unix()}, nil),
		"exp too far":           mint(t, secret, "mem", jwt.MapClaims{"exp": now.Add(40 * 24 * time.Hour).Unix()}, nil),
		"no previous secret":    mint(t, secret, "mem", nil, map[string]any{"kid": "previous"}),
		"unknown kid":           mint(t, secret, "mem", nil, map[string]any{"kid": "k1"}),
		"sub too long":          mint(t, secret, string(make([]byte, 129)), nil, nil),
		"scope unknown":         mint(t, secret, "mem", jwt.MapClaims{"scope": "admin"}, nil),
		"another application's": tokens[userOtherApp],
	}
	for name, bad := range hostile {
		for _, path := range []string{"", "/chats/1", "/chats/1/messages"} {
			r := s.call(t, "GET", app+path, nil, bearerHeader(bad)...)
			r.wantError(t, 401, "unauthorized")
			if r.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
				t.Fatalf("%s: WWW-Authenticate %q", name, r.Header.Get("WWW-Authenticate"))
			}
		}
	}
	q := "?access_token=" + url.QueryEscape(tokens[userMember])
	follow(t, s, app+"/chats/1/events"+q).close()
	s.call(t, "GET", app+"/chats/1/messages"+q+"&after=0&wait=1s", nil).want(t, 200)
	s.call(t, "GET", app+"/chats/1/messages"+q, nil).wantError(t, 401, "unauthorized") // not a long poll
	s.call(t, "GET", app+"/chats/1"+q, nil).wantError(t, 401, "unauthorized")
	s.call(t, "GET", app+"/chats/1/events?access_token="+url.QueryEscape(secret), nil).wantError(t, 401, "unauthorized")
	s.call(t, "GET", app+"/chats/1/events?access_token="+url.QueryEscape(tokens[userStranger]), nil).wantError(t, 404, "not_found")

	// Idempotency keys are the caller's: another user's same key is
	// another request, a retry of one's own gets its answer.
	key := []string{"Idempotency-Key", "same-key"}
	post := func(token, body string) response {
		return s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": body}, append(bearerHeader(token), key...)...)
	}
	first := post(tokens[userMember], "mine").want(t, 201)
	other := post(tokens[userModerator], "theirs").want(t, 201)
	if first.num("number") == other.num("number") {
		t.Fatalf("two users' requests with one key answered the same message: %s %s", first.Raw, other.Raw)
	}
	if again := post(tokens[userMember], "mine").want(t, 201); again.num("number") != first.num("number") {
		t.Fatalf("a retry answered %s, first %s", again.Raw, first.Raw)
	}
	post(tokens[userMember], "changed").wantError(t, 422, "idempotency_key_reused")
}

// Per-user budgets: a user over theirs is refused while another user, and
// the application itself, go on.
func TestUserRateLimits(t *testing.T) {
	s := embeddedStack(t, map[string]string{"CHAT_USER_WRITE_RATE": "1", "CHAT_USER_WRITE_BURST": "2"})
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Budget"}).want(t, 201)
	app, secret := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	s.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(secret)...).want(t, 200)
	s.call(t, "POST", app+"/chats", map[string]any{"visibility": "public"}, bearerHeader(secret)...).want(t, 201)
	ann, bob := mint(t, secret, "ann", nil, nil), mint(t, secret, "bob", nil, nil)
	eventually(t, "the chat persisted", func() bool { return s.call(t, "GET", app+"/chats/1", nil, bearerHeader(ann)...).Status == 200 })
	for i := range 2 {
		r := s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "hi"}, bearerHeader(ann)...).want(t, 201)
		if r.Header.Get("RateLimit-Limit") != "2" || r.Header.Get("RateLimit-Remaining") != []string{"1", "0"}[i] {
			t.Fatalf("post %d: rate headers %v", i+1, r.Header)
		}
	}
	r = s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "hi"}, bearerHeader(ann)...)
	r.wantError(t, 429, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Fatalf("429 headers %v", r.Header)
	}
	s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "hi"}, bearerHeader(bob)...).want(t, 201)
	for range 3 {
		s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "hi"}, bearerHeader(secret)...).want(t, 201)
	}
}

// A live stream lasts no longer than the user token that opened it.
func TestStreamEndsWithItsToken(t *testing.T) {
	s := embeddedStack(t, nil)
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Expiring"}).want(t, 201)
	app, secret := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	s.call(t, "POST", app+"/chats", map[string]any{"visibility": "public"}, bearerHeader(secret)...).want(t, 201)
	eventually(t, "the chat persisted", func() bool { return s.call(t, "GET", app+"/chats/1", nil, bearerHeader(secret)...).Status == 200 })
	short := mint(t, secret, "ann", jwt.MapClaims{"exp": time.Now().Add(2 * time.Second).Unix()}, nil)
	st := follow(t, s, app+"/chats/1/events", bearerHeader(short)...)
	select {
	case e, open := <-st.events:
		if open {
			t.Fatalf("delivered %v", e)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("the stream outlived its token")
	}
}
