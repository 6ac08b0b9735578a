package bootstrap_test

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/internal/testenv"
)

// A client's retry after Redis lost everything (FLUSHALL) gets the first
// answer again, status and body, for a chat, a message, an edit and a
// delete whose events the worker had persisted: the keys were kept with the
// rows. A new request after the loss takes a new number.
func TestIdempotentRetryAfterARedisLoss(t *testing.T) {
	redisAddr := testenv.OwnRedis(t)
	s := productionStack(t, map[string]string{"CHAT_REDIS_ADDR": redisAddr, "CHAT_GROUP_CHECK_INTERVAL": "200ms"})
	tok := newApplication(t, s, "retry-after-loss")
	app := "/api/v1/chat_applications/" + tok
	msgs := app + "/chats/1/messages"
	type request struct {
		method, path string
		body         any
		key          string
		status       int
	}
	requests := []request{
		{"POST", app + "/chats", nil, "chat", 201},
		{"POST", msgs, map[string]any{"body": "first"}, "m1", 201},
		{"POST", msgs, map[string]any{"body": "second"}, "m2", 201},
		{"PATCH", msgs + "/1", map[string]any{"body": "first, edited"}, "e1", 200},
		{"DELETE", msgs + "/2", nil, "d2", 204},
	}
	var first []response
	for _, r := range requests {
		first = append(first, s.call(t, r.method, r.path, r.body, "Idempotency-Key", r.key).want(t, r.status))
		// Each persisted before the next, so that the edit and the delete find their messages.
		eventually(t, "the write persisted", func() bool {
			list := s.call(t, "GET", msgs, nil)
			if list.Status != 200 {
				return false
			}
			bodies := map[string]bool{}
			for _, m := range list.items(t) {
				bodies[m["body"].(string)] = true
			}
			switch r.key {
			case "m1":
				return bodies["first"]
			case "m2":
				return bodies["second"]
			case "e1":
				return bodies["first, edited"]
			case "d2":
				return !bodies["second"]
			}
			return true
		})
	}

	rc := goredis.NewClient(&goredis.Options{Addr: redisAddr})
	defer rc.Close()
	if err := rc.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}

	for i, r := range requests {
		again := s.call(t, r.method, r.path, r.body, "Idempotency-Key", r.key).want(t, r.status)
		if again.Raw != first[i].Raw {
			t.Fatalf("%s %s retried after the loss answered %s, first %s", r.method, r.path, again.Raw, first[i].Raw)
		}
	}
	s.call(t, "POST", msgs, map[string]any{"body": "another"}, "Idempotency-Key", "m1").wantError(t, 422, "idempotency_key_reused")
	if n := s.call(t, "POST", msgs, map[string]any{"body": "new"}, "Idempotency-Key", "m3").want(t, 201).num("number"); n <= 2 {
		t.Fatalf("a new message after the loss took number %d", n)
	}
}
