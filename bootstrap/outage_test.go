package bootstrap_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/internal/testenv"
)

// Redis is killed (SIGKILL) for 20 s under concurrent creates from two api
// instances and one worker: the writes keep being answered (through MySQL),
// and once Redis is back everything acknowledged is persisted and indexed
// once, no number was acknowledged twice, and a live stream that was open
// all along has every message without a hole.
func TestWritesThroughARedisKill(t *testing.T) { writesThroughARedisOutage(t, false) }

// The same with one api cut off from Redis while the other reaches it: the
// two number the same sequences at once, one in Redis, one in MySQL.
func TestWritesThroughARedisPartition(t *testing.T) { writesThroughARedisOutage(t, true) }

// outageWrite is one create the load made: its chat (0 for a chat's
// creation), the number it was answered with, its body, and when.
type outageWrite struct {
	chat, number int64
	body         string
	status       int
	from, to     time.Time
}

const (
	outageFor    = 20 * time.Second
	outageChats  = 4
	outageWriter = 8
	outageRate   = 150 // writes a second at most: what the test's worker indexes
)

func writesThroughARedisOutage(t *testing.T, partition bool) {
	rs := testenv.OwnPersistentRedis(t, "--appendfsync", "always") // nothing acknowledged is lost to the kill
	// The index refreshes by itself (not a refresh per bulk), so that the
	// worker indexes as fast as the load writes.
	env := productionEnv(t, map[string]string{"CHAT_REDIS_ADDR": rs.Addr, "CHAT_SEQUENCE_LEASE": "64", "CHAT_STREAM_PARTITIONS": "4",
		"CHAT_OPENSEARCH_REFRESH": "", "CHAT_WORKER_CONCURRENCY": "256"})
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	s.addWorker(env, "w1")
	apis := []*stack{apiInstances(t, cfg, 1)[0], nil}
	var px *proxy
	if partition {
		px = newProxy(t, rs.Addr)
		cut := map[string]string{}
		for k, v := range env {
			cut[k] = v
		}
		cut["CHAT_REDIS_ADDR"] = px.addr
		apis[1] = apiInstances(t, loadConfig(t, cut), 1)[0]
	} else {
		apis[1] = apiInstances(t, cfg, 1)[0]
	}
	tok := newApplication(t, apis[0], "outage")
	app := "/api/v1/chat_applications/" + tok
	for range outageChats {
		apis[0].call(t, "POST", app+"/chats", nil).want(t, 201)
	}
	eventually(t, "the chats persisted", func() bool {
		return apis[1].call(t, "GET", fmt.Sprintf("%s/chats/%d", app, outageChats), nil).Status == 200
	})
	// A live stream on the api that loses Redis, open through the outage.
	live := collect(t, apis[1], app+"/chats/1/events")

	var mu sync.Mutex
	var writes []outageWrite
	stop := make(chan struct{})
	pace := time.NewTicker(time.Second / outageRate)
	defer pace.Stop()
	var wg sync.WaitGroup
	for w := range outageWriter {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-pace.C:
				}
				api := apis[(w+i)%2]
				wr := outageWrite{chat: int64(i%outageChats + 1), body: fmt.Sprintf("w%dn%05d", w, i), from: time.Now()}
				var r response
				if i%20 == 19 {
					wr.chat = 0
					r = api.call(t, "POST", app+"/chats", nil)
				} else {
					r = api.call(t, "POST", fmt.Sprintf("%s/chats/%d/messages", app, wr.chat), map[string]any{"body": wr.body})
				}
				wr.status, wr.to = r.Status, time.Now()
				if r.Status == 201 {
					wr.number = r.num("number")
				}
				mu.Lock()
				writes = append(writes, wr)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second) // the load on the fast path first
	outageFrom := time.Now()
	if partition {
		px.stop()
	} else {
		rs.Kill()
	}
	time.Sleep(outageFor) // the outage's length, not a wait for a condition
	outageTo := time.Now()
	if partition {
		px.start(t)
	} else {
		rs.Start()
	}
	for _, api := range apis {
		eventually(t, "both apis back on Redis", func() bool {
			return strings.Contains(api.call(t, "GET", "/metrics", nil).Raw, "chat_writes_degraded 0")
		})
	}
	time.Sleep(2 * time.Second) // and on the fast path again
	close(stop)
	wg.Wait()

	checkOutageWrites(t, writes, outageFrom, outageTo)
	acked := map[string]outageWrite{}
	for _, w := range writes {
		if w.status == 201 {
			acked[fmt.Sprint(w.chat, "/", w.number)] = w
		}
	}
	db, err := entstore.OpenMySQL(cfg.MySQL.DSN, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eventually(t, "every acknowledged write persisted once", func() bool {
		return persistedOnce(t, db, tok, acked) == ""
	})
	if why := persistedOnce(t, db, tok, acked); why != "" {
		t.Fatal(why)
	}
	// Indexed once: the index holds as many messages as MySQL (one
	// document per message, by its identity), and a sample of the
	// outage's writes and of the others are each found by their body.
	eventually(t, "every persisted message indexed", func() bool {
		var rows int64
		_ = db.QueryRow("SELECT COUNT(*) FROM messages").Scan(&rows)
		return indexed(t, cfg.OpenSearch.URL, cfg.OpenSearch.Index) == rows
	})
	during, others := 0, 0
	for _, w := range writes {
		in := !w.from.Before(outageFrom) && !w.to.After(outageTo)
		if w.status != 201 || w.chat == 0 || in && during >= 30 || !in && others >= 10 {
			continue
		}
		if in {
			during++
		} else {
			others++
		}
		eventually(t, "indexed once: "+w.body, func() bool {
			r := apis[0].call(t, "GET", fmt.Sprintf("%s/chats/%d/messages/search?q=%s", app, w.chat, w.body), nil)
			return r.Status == 200 && len(r.items(t)) == 1
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for why := live.missing(acked); why != ""; why = live.missing(acked) {
		if time.Now().After(deadline) {
			t.Fatalf("the live stream (opened again %d times, %d events) never sent %s", live.reopens, len(live.events), why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the live stream sent %d events, opened again %d times", len(live.events), live.reopens)
	if dup := live.repeated(); dup != "" {
		t.Fatalf("the live stream repeated %s", dup)
	}
	eventually(t, "counters converge", func() bool {
		var rows int64
		_ = db.QueryRow("SELECT COUNT(*) FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id WHERE a.token = ? AND c.number = 1", tok).Scan(&rows)
		return apis[1].call(t, "GET", app+"/chats/1", nil).num("messages_count") == rows
	})
}

// checkOutageWrites: at least 99 % of the writes made during the outage
// were answered 2xx, and no number was acknowledged twice.
func checkOutageWrites(t *testing.T, writes []outageWrite, from, to time.Time) {
	t.Helper()
	seen := map[string]bool{}
	during, ok := 0, 0
	for _, w := range writes {
		if w.status == 201 {
			k := fmt.Sprint(w.chat, "/", w.number)
			if seen[k] {
				t.Fatalf("(chat, number) %s acknowledged twice", k)
			}
			seen[k] = true
		}
		if !w.from.Before(from) && !w.to.After(to) {
			during++
			if w.status/100 == 2 {
				ok++
			}
		}
	}
	t.Logf("%d writes in all; during the %v outage %d (%.0f/s), %d answered 2xx", len(writes), to.Sub(from).Round(time.Second), during, float64(during)/to.Sub(from).Seconds(), ok)
	if during < 100 || float64(ok) < 0.99*float64(during) {
		t.Fatalf("during the outage %d of %d writes answered 2xx, want at least 99 %% of at least 100", ok, during)
	}
}

// persistedOnce says what is wrong with the application's rows ("" if
// nothing): every acknowledged chat and message is there, each message with
// its body, and no body twice.
func persistedOnce(t *testing.T, db *sql.DB, tok string, acked map[string]outageWrite) string {
	t.Helper()
	rows, err := db.Query(`SELECT c.number, COALESCE(m.number, 0), COALESCE(m.body, '') FROM chats c
JOIN applications a ON a.id = c.application_id LEFT JOIN messages m ON m.chat_id = c.id WHERE a.token = ?`, tok)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	chats := map[int64]bool{}
	bodies := map[string]string{}
	byBody := map[string]int{}
	for rows.Next() {
		var chat, number int64
		var body string
		if err := rows.Scan(&chat, &number, &body); err != nil {
			t.Fatal(err)
		}
		chats[chat] = true
		bodies[fmt.Sprint(chat, "/", number)] = body
		if body != "" {
			byBody[body]++
		}
	}
	for k, w := range acked {
		switch {
		case w.chat == 0 && !chats[w.number]:
			return fmt.Sprintf("chat %d not persisted", w.number)
		case w.chat > 0 && bodies[k] != w.body:
			return fmt.Sprintf("message %s persisted as %q, want %q", k, bodies[k], w.body)
		case w.chat > 0 && byBody[w.body] != 1:
			return fmt.Sprintf("%q persisted %d times", w.body, byBody[w.body])
		}
	}
	return ""
}

// indexed counts the documents behind the index's alias.
func indexed(t *testing.T, url, alias string) int64 {
	t.Helper()
	res, err := http.Get(url + "/" + alias + "/_count")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c struct{ Count int64 }
	_ = json.NewDecoder(res.Body).Decode(&c)
	return c.Count
}

// liveLog gathers what a live stream sends, as it comes, following it as a
// client does: when the server ends it (a client that fell behind during
// the relay's burst is dropped), it opens it again after the last event it
// had (Last-Event-ID).
type liveLog struct {
	mu      sync.Mutex
	events  []sseEvent
	reopens int
	cur     *sseStream // the stream open now
	done    chan struct{}
}

func collect(t *testing.T, s *stack, path string) *liveLog {
	l := &liveLog{done: make(chan struct{})}
	l.cur = follow(t, s, path)
	ended := make(chan struct{})
	t.Cleanup(func() {
		close(l.done)
		l.mu.Lock()
		l.cur.close()
		l.mu.Unlock()
		<-ended
	})
	go func() {
		defer close(ended)
		st, last := l.cur, ""
		for {
			for e := range st.events {
				l.mu.Lock()
				l.events = append(l.events, e)
				l.mu.Unlock()
				if e.ID != "" {
					last = e.ID
				}
			}
			for st = nil; st == nil; {
				select {
				case <-l.done:
					return
				case <-time.After(100 * time.Millisecond): // a client's reconnection delay
				}
				st, _ = openStream(s, path, "Last-Event-ID", last)
			}
			l.mu.Lock()
			l.cur = st
			l.reopens++
			select {
			case <-l.done:
				st.close()
			default:
			}
			l.mu.Unlock()
		}
	}()
	return l
}

// missing names an acknowledged message of chat 1 the stream has not sent.
func (l *liveLog) missing(acked map[string]outageWrite) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	sent := map[float64]bool{}
	for _, e := range l.events {
		if e.Kind == "message.created" {
			n, _ := e.Data["number"].(float64)
			sent[n] = true
		}
	}
	for k, w := range acked {
		if w.chat == 1 && !sent[float64(w.number)] {
			return k
		}
	}
	return ""
}

// repeated names a creation the stream sent twice.
func (l *liveLog) repeated() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	sent := map[string]bool{}
	for _, e := range l.events {
		if e.Kind != "message.created" {
			continue
		}
		if sent[e.String()] {
			return e.String()
		}
		sent[e.String()] = true
	}
	return ""
}
