package bootstrap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// A user edits and deletes their own message from the moment its creation
// is answered, before any worker persisted it (none runs here until the
// end): its author is read from the event log, as live streams read such
// messages. Someone else's message needs a moderator; a read token changes
// nothing; and what was refused is not in the chat once it is persisted.
func TestOwnMessagesBeforeTheyArePersisted(t *testing.T) {
	env := productionEnv(t, nil)
	s := apiInstances(t, loadConfig(t, env), 1)[0]
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Own"}).want(t, 201)
	app, secret := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	s.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(secret)...).want(t, 200)
	members := []map[string]any{{"user_id": "mod", "role": "moderator"}, {"user_id": "mem"}, {"user_id": "mem2"}}
	s.call(t, "POST", app+"/chats", map[string]any{"members": members}, bearerHeader(secret)...).want(t, 201)
	mem, mem2, mod := bearerHeader(mint(t, secret, "mem", nil, nil)), bearerHeader(mint(t, secret, "mem2", nil, nil)), bearerHeader(mint(t, secret, "mod", nil, nil))
	reader := bearerHeader(mint(t, secret, "mem", jwt.MapClaims{"scope": "read"}, nil))
	msgs := app + "/chats/1/messages"
	s.call(t, "POST", msgs, map[string]any{"body": "mine"}, mem...).want(t, 201)
	s.call(t, "POST", msgs, map[string]any{"body": "mine, to delete"}, mem...).want(t, 201)
	s.call(t, "POST", msgs, map[string]any{"body": "theirs"}, mem2...).want(t, 201)

	s.call(t, "PATCH", msgs+"/1", map[string]any{"body": "mine, edited"}, mem...).want(t, 200)
	s.call(t, "DELETE", msgs+"/2", nil, mem...).want(t, 204)
	s.call(t, "PATCH", msgs+"/3", map[string]any{"body": "theirs, moderated"}, mod...).want(t, 200)
	for _, refused := range []struct {
		method, path string
		headers      []string
	}{
		{"PATCH", "/3", mem}, {"PUT", "/3", mem}, {"DELETE", "/3", mem},
		{"PATCH", "/1", mem2}, {"DELETE", "/1", mem2},
		{"PATCH", "/1", reader}, {"DELETE", "/1", reader},
	} {
		var body any
		if refused.method != "DELETE" {
			body = map[string]any{"body": "refused"}
		}
		s.call(t, refused.method, msgs+refused.path, body, refused.headers...).wantError(t, 403, "forbidden")
	}
	// A message that is neither persisted nor in the log is not found.
	s.call(t, "PATCH", msgs+"/9", map[string]any{"body": "x"}, mem...).wantError(t, 404, "not_found")

	s.addWorker(env, "w0")
	const want = `1 "mine, edited" mem; 3 "theirs, moderated" mem2`
	eventually(t, "the chat persisted as the accepted requests left it", func() bool {
		r := s.call(t, "GET", msgs, nil, bearerHeader(secret)...)
		if r.Status != 200 {
			return false
		}
		var got []string
		for _, m := range r.items(t) {
			got = append(got, fmt.Sprintf("%v %q %s", m["number"], m["body"], authorOf(m)))
		}
		return strings.Join(got, "; ") == want
	})
}
