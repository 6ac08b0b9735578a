package bootstrap_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/opensearch"
)

// proxy stands between the service and the real OpenSearch, so that a test
// can take OpenSearch away and bring it back on the same address.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target}
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) start(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(ln)
}

// OpenSearch goes away while messages are created and edited: creates and
// reads go on, search answers from the database (and says so), and once
// OpenSearch is back every message is found by its latest body through the
// index, and never by an old one. Then the index is rebuilt from MySQL
// behind its alias, and search still finds everything.
func TestSearchThroughAnOpenSearchOutageAndARebuild(t *testing.T) {
	env := productionEnv(t, map[string]string{"CHAT_WORKER_RETRY_MAX": "300ms"})
	u, err := url.Parse(env["CHAT_OPENSEARCH_URL"])
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, u.Host)
	env["CHAT_OPENSEARCH_URL"] = "http://" + px.addr
	s := productionStack(t, env)
	tok := newApplication(t, s, "outage")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	msgs := app + "/chats/1/messages"
	s.call(t, "POST", msgs, map[string]any{"body": "before the outage alpha"}).want(t, 201)
	search := func(q string) response {
		return s.call(t, "GET", msgs+"/search?q="+url.QueryEscape(q), nil).want(t, 200)
	}
	eventually(t, "chat persisted", func() bool { return s.call(t, "GET", app+"/chats/1", nil).Status == 200 })
	eventually(t, "first message indexed", func() bool { return len(search("alpha").items(t)) == 1 })

	px.stop()
	for i := 0; i < 5; i++ {
		s.call(t, "POST", msgs, map[string]any{"body": fmt.Sprintf("during the outage bravo %d", i)}).want(t, 201)
	}
	s.call(t, "PATCH", msgs+"/1", map[string]any{"body": "edited during the outage charlie"}).want(t, 200)
	ready := s.call(t, "GET", "/readyz", nil).want(t, 200)
	if !strings.Contains(ready.Raw, `"opensearch":{"error"`) && !strings.Contains(ready.Raw, `"status":"down"`) {
		t.Fatalf("readyz does not report OpenSearch down: %s", ready.Raw)
	}
	eventually(t, "persisted while OpenSearch is down", func() bool {
		r := s.call(t, "GET", msgs+"?limit=200", nil)
		return len(r.items(t)) == 6
	})
	r := search("bravo")
	if r.Header.Get("X-Search-Degraded") == "" || len(r.items(t)) != 5 {
		t.Fatalf("degraded search: header %q, %d hits: %s", r.Header.Get("X-Search-Degraded"), len(r.items(t)), r.Raw)
	}

	px.start(t)
	eventually(t, "the index caught up", func() bool {
		b, c := search("bravo"), search("charlie")
		return b.Header.Get("X-Search-Degraded") == "" && len(b.items(t)) == 5 && len(c.items(t)) == 1
	})
	if n := len(search("alpha").items(t)); n != 0 {
		t.Fatalf("the old body is still findable (%d hits)", n)
	}

	db, err := entstore.OpenMySQL(env["CHAT_MYSQL_DSN"], 2)
	if err != nil {
		t.Fatal(err)
	}
	store := entstore.New(db, dialect.MySQL)
	defer store.Close()
	ix, err := opensearch.New(opensearch.Config{URL: "http://" + u.Host, Alias: env["CHAT_OPENSEARCH_INDEX"]})
	if err != nil {
		t.Fatal(err)
	}
	batches, last := 0, int64(0)
	n, err := ix.Rebuild(context.Background(), store, 2, func(k int, next int64) { batches++; last = next })
	if err != nil || n < 6 || batches < 3 || last == 0 {
		t.Fatalf("rebuild indexed %d in %d reported batches (last position %d): %v", n, batches, last, err)
	}
	// A repair resumes from a position an interrupted one printed: it walks
	// only what comes after it.
	all, err := store.CountMessages(context.Background(), 0)
	if err != nil || all < 6 {
		t.Fatalf("count %d: %v", all, err)
	}
	var positions []int64
	if _, err := ix.Repair(context.Background(), store, 2, time.Time{}, 0, func(_ int, next int64) { positions = append(positions, next) }); err != nil {
		t.Fatal(err)
	}
	rest, _ := store.CountMessages(context.Background(), positions[0])
	m, err := ix.Repair(context.Background(), store, 2, time.Time{}, positions[0], nil)
	if err != nil || int64(m) != rest || rest >= all {
		t.Fatalf("resumed repair indexed %d of the %d after position %d (of %d): %v", m, rest, positions[0], all, err)
	}
	if err := ix.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, c, a := search("bravo"), search("charlie"), search("alpha"); len(b.items(t)) != 5 || len(c.items(t)) != 1 || len(a.items(t)) != 0 {
		t.Fatalf("after the rebuild: bravo %d, charlie %d, alpha %d hits", len(b.items(t)), len(c.items(t)), len(a.items(t)))
	}
}
