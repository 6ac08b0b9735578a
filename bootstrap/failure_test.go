package bootstrap_test

import (
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Redis goes away: creates answer 503 with Retry-After, reads go on from
// MySQL; when Redis is back, creates work again and no number is reused.
func TestRedisOutage(t *testing.T) {
	env := productionEnv(t, nil)
	px := newProxy(t, env["CHAT_REDIS_ADDR"])
	env["CHAT_REDIS_ADDR"] = px.addr
	s := productionStack(t, env)
	tok := newApplication(t, s, "redis-outage")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "one"}).want(t, 201)
	eventually(t, "persisted", func() bool { return s.call(t, "GET", app+"/chats/1/messages/1", nil).Status == 200 })

	px.stop()
	r := s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "two"})
	r.wantError(t, 503, "unavailable")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	s.call(t, "POST", app+"/chats", nil).wantError(t, 503, "unavailable")
	s.call(t, "GET", app+"/chats/1/messages/1", nil).want(t, 200)
	s.call(t, "GET", app+"/chats", nil).want(t, 200)
	if s.call(t, "GET", "/readyz", nil).Status != 503 {
		t.Fatal("readyz is ready while Redis is down")
	}

	px.start(t)
	eventually(t, "creates work again", func() bool {
		return s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "three"}).Status == 201
	})
	eventually(t, "all persisted", func() bool {
		return len(s.call(t, "GET", app+"/chats/1/messages", nil).items(t)) >= 2
	})
	seen := map[float64]bool{}
	for _, m := range s.call(t, "GET", app+"/chats/1/messages", nil).items(t) {
		if seen[m["number"].(float64)] {
			t.Fatalf("number %v reused", m["number"])
		}
		seen[m["number"].(float64)] = true
	}
}

// MySQL goes away: creates are still accepted (queued), reads answer 503;
// when MySQL is back, the worker catches up and nothing queued is lost.
func TestMySQLOutage(t *testing.T) {
	env := productionEnv(t, map[string]string{"CHAT_WORKER_RETRY_MAX": "200ms"})
	cfg, err := mysql.ParseDSN(env["CHAT_MYSQL_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, cfg.Addr)
	cfg.Addr = px.addr
	env["CHAT_MYSQL_DSN"] = cfg.FormatDSN()
	s := productionStack(t, env)
	tok := newApplication(t, s, "mysql-outage")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "before"}).want(t, 201)
	eventually(t, "persisted", func() bool { return s.call(t, "GET", app+"/chats/1/messages/1", nil).Status == 200 })

	px.stop()
	for i := 0; i < 10; i++ {
		s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": fmt.Sprintf("during %d", i)}).want(t, 201)
	}
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	r := s.call(t, "GET", app+"/chats/1/messages", nil)
	r.wantError(t, 503, "unavailable")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}

	px.start(t)
	eventually(t, "the worker caught up", func() bool {
		r := s.call(t, "GET", app+"/chats/1/messages?limit=200", nil)
		return r.Status == 200 && len(r.items(t)) == 11 && s.call(t, "GET", app+"/chats/2", nil).Status == 200
	})
}
