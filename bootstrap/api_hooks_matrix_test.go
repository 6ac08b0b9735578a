package bootstrap_test

import (
	"strings"
	"testing"
)

// The application's own routes (its webhooks, their deliveries and
// replays, its feed) × every kind of credential: the secret reaches them,
// a user token of any role is a 403, a missing or foreign credential a
// 401, and a refused request changes nothing.
func hookMatrixCases(t *testing.T, s *stack) {
	tok, secret, tokens := membersApplication(t, s)
	app := "/api/v1/chat_applications/" + tok
	// A public address written as one (nothing to resolve); only deletions
	// go there, and none is made.
	hook := map[string]any{"url": "http://8.8.8.8/hooks", "events": []string{"message.deleted"}}
	id := s.call(t, "POST", app+"/webhooks", hook, bearerHeader(secret)...).want(t, 201).str("id")
	routes := []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/webhooks", hook, 201},
		{"GET", "/webhooks", nil, 200},
		{"GET", "/webhooks/" + id + "/deliveries", nil, 200},
		{"POST", "/webhooks/" + id + "/replay", map[string]any{"after": "0-0"}, 202},
		{"GET", "/events", nil, 200},
		{"DELETE", "/webhooks/" + id, nil, 204},
	}
	snapshot := func() string {
		h := bearerHeader(secret)
		return strings.Join([]string{memberSnapshot(t, s, tok, secret),
			s.call(t, "GET", app+"/webhooks", nil, h...).want(t, 200).Raw,
			s.call(t, "GET", app+"/webhooks/"+id+"/deliveries", nil, h...).want(t, 200).Raw}, "\n")
	}
	refusals := map[string]int{"no credential": 401, userOtherApp: 401, userExpired: 401}
	for _, u := range []string{userMember, userModerator, userStranger, userReader, userLimited} {
		refusals[u] = 403
	}
	for _, rt := range routes {
		for who, want := range refusals {
			t.Run(rt.method+" "+rt.path+" as "+who, func(t *testing.T) {
				before := snapshot()
				r := s.call(t, rt.method, app+rt.path, rt.body, bearerHeader(tokens[who])...)
				r.wantError(t, want, map[int]string{401: "unauthorized", 403: "forbidden"}[want])
				if after := snapshot(); after != before {
					t.Fatalf("a refused request changed the state:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
	for _, rt := range routes {
		s.call(t, rt.method, app+rt.path, rt.body, bearerHeader(secret)...).want(t, rt.status)
	}
}
