package bootstrap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// persistedMessage makes an application called name with chat 1 and its
// message 1 saying body, waits until the worker persisted it, and returns
// the application's path: where an outage starts from.
func persistedMessage(t *testing.T, s *stack, name, body string) string {
	t.Helper()
	app := "/api/v1/chat_applications/" + newApplication(t, s, name)
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": body}).want(t, 201)
	eventually(t, "persisted", func() bool { return s.call(t, "GET", app+"/chats/1/messages/1", nil).Status == 200 })
	return app
}

// Redis goes away: the write that finds it gone may answer 503 (its event
// may have been queued all the same), then creates, edits and deletes are
// answered once durable in MySQL (the degraded path) and readable at once;
// reads go on; /readyz says degraded. When Redis is back the api returns to
// it by itself, what was written meanwhile reaches the stream (and so the
// index), and no number is reused.
func TestRedisOutage(t *testing.T) {
	env := productionEnv(t, nil)
	px := newProxy(t, env["CHAT_REDIS_ADDR"])
	env["CHAT_REDIS_ADDR"] = px.addr
	s := productionStack(t, env)
	app := persistedMessage(t, s, "redis-outage", "one")

	px.stop()
	msgs := app + "/chats/1/messages"
	var two int64
	eventually(t, "creates answered through MySQL", func() bool {
		r := s.call(t, "POST", msgs, map[string]any{"body": "two"})
		two = r.num("number")
		return r.Status == 201
	})
	three := s.call(t, "POST", msgs, map[string]any{"body": "three degraded"}).want(t, 201).num("number")
	if got := s.call(t, "GET", fmt.Sprintf("%s/%d", msgs, three), nil).want(t, 200).str("body"); got != "three degraded" {
		t.Fatalf("a degraded create read back at once: %q", got)
	}
	s.call(t, "PUT", msgs+"/1", map[string]any{"body": "one edited"}).want(t, 200)
	if got := s.call(t, "GET", msgs+"/1", nil).want(t, 200).str("body"); got != "one edited" {
		t.Fatalf("a degraded edit read back at once: %q", got)
	}
	s.call(t, "DELETE", fmt.Sprintf("%s/%d", msgs, two), nil).want(t, 204)
	chat := s.call(t, "POST", app+"/chats", nil).want(t, 201).num("number")
	s.call(t, "POST", fmt.Sprintf("%s/chats/%d/messages", app, chat), map[string]any{"body": "in a degraded chat"}).want(t, 201)
	s.call(t, "GET", app+"/chats", nil).want(t, 200)
	if r := s.call(t, "GET", "/readyz", nil).want(t, 200); r.str("status") != "degraded" {
		t.Fatalf("readyz while Redis is down: %s", r.Raw)
	}

	px.start(t)
	eventually(t, "back to Redis", func() bool {
		return strings.Contains(s.call(t, "GET", "/metrics", nil).Raw, "chat_writes_degraded 0")
	})
	four := s.call(t, "POST", msgs, map[string]any{"body": "four"}).want(t, 201).num("number")
	if four <= three {
		t.Fatalf("Redis numbered %d after the store's %d", four, three)
	}
	eventually(t, "what was written meanwhile is indexed", func() bool {
		r := s.call(t, "GET", msgs+"/search?q=degraded", nil)
		return r.Status == 200 && len(r.items(t)) == 1
	})
	eventually(t, "all persisted", func() bool { return len(s.call(t, "GET", msgs, nil).items(t)) == 3 })
	seen := map[float64]bool{}
	for _, m := range s.call(t, "GET", msgs, nil).items(t) {
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
	app := persistedMessage(t, s, "mysql-outage", "before")

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

// The workers fall behind (here: none runs): once the application's queue
// holds more than CHAT_MAX_BACKLOG unacknowledged events, its writes are
// refused with 503 overloaded and Retry-After, taking no number; when a
// worker has caught up they are admitted again, numbered on from the last
// one acknowledged, and every acknowledged write is persisted.
func TestWritesRefusedWhileTheQueueIsFull(t *testing.T) {
	env := productionEnv(t, map[string]string{"CHAT_MAX_BACKLOG": "5", "CHAT_BACKLOG_INTERVAL": "50ms"})
	s := apiInstances(t, loadConfig(t, env), 1)[0]
	tok := newApplication(t, s, "backlog")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	last := int64(0)
	var refused response
	eventually(t, "writes refused", func() bool {
		r := s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": fmt.Sprintf("m%d", last+1)})
		if r.Status == 201 {
			if n := r.num("number"); n != last+1 {
				t.Fatalf("message %d after %d", n, last)
			}
			last++
			return false
		}
		refused = r
		return true
	})
	refused.wantError(t, 503, "overloaded")
	if got := refused.Header.Get("Retry-After"); got != "5" {
		t.Fatalf("Retry-After %q, want 5", got)
	}
	if last < 5 {
		t.Fatalf("refused after %d messages: the limit is 5 events", last)
	}
	s.call(t, "POST", app+"/chats", nil).wantError(t, 503, "overloaded")
	s.call(t, "GET", app+"/chats", nil).want(t, 200) // reads go on
	if m := s.call(t, "GET", "/metrics", nil).want(t, 200); !strings.Contains(m.Raw, "\nchat_writes_refused_total ") || strings.Contains(m.Raw, "\nchat_writes_refused_total 0\n") {
		t.Fatal("the refused writes are not counted in chat_writes_refused_total")
	} else if !strings.Contains(m.Raw, "chat_write_backlog{topic=") {
		t.Fatal("the api does not export the backlog it reads (chat_write_backlog)")
	}

	s.addWorker(env, "w0")
	eventually(t, "writes admitted again", func() bool {
		return s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "after"}).Status == 201
	})
	eventually(t, "every acknowledged write persisted", func() bool {
		return len(s.call(t, "GET", app+"/chats/1/messages?limit=200", nil).items(t)) == int(last)+1
	})
	items := s.call(t, "GET", app+"/chats/1/messages?limit=200", nil).items(t)
	for i, m := range items {
		if int64(m["number"].(float64)) != int64(i+1) {
			t.Fatalf("message %d is number %v: a refused write took a number", i+1, m["number"])
		}
	}
}
