package bootstrap_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/bleve"
	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/bootstrap"
)

// deleteEnv runs a deletion's job at once, in batches small and slow
// enough to stop its runner half-way.
var deleteEnv = map[string]string{
	"CHAT_WEBHOOK_ALLOW_PRIVATE": "true",
	"CHAT_DELETE_SETTLE":         "1ms",
	"CHAT_JOB_BATCH":             "3",
	"CHAT_JOB_PAUSE":             "100ms",
	"CHAT_JOB_POLL_INTERVAL":     "100ms",
	"CHAT_JOB_LEASE":             "1s",
}

// stores counts what is kept in each store: rows by table (but the
// migrations' and the jobs' own), index documents, and Redis keys
// naming a token (none in the embedded profile).
type stores struct {
	db     *sql.DB
	tables string // the query listing the tables
	docs   func() int
	keys   func(token string) int
}

func (st *stores) rows(t *testing.T) map[string]int {
	t.Helper()
	rows, err := st.db.Query(st.tables)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if name != "goose_db_version" && name != "lifecycle_jobs" {
			tables = append(tables, name)
		}
	}
	rows.Close()
	out := map[string]int{}
	for _, name := range tables {
		var n int
		if err := st.db.QueryRow("SELECT COUNT(*) FROM " + name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

func (st *stores) job(t *testing.T, id string) (state string, done int64) {
	t.Helper()
	if err := st.db.QueryRow("SELECT state, done FROM lifecycle_jobs WHERE id = ?", id).Scan(&state, &done); err != nil {
		t.Fatal(err)
	}
	return state, done
}

// The embedded profile: the job runs in the process; stopped half-way,
// the next process on the same data finishes it.
func TestDeleteApplicationEmbedded(t *testing.T) {
	dir := t.TempDir()
	cfg := loadConfig(t, baseEnv(deleteEnv, map[string]string{"CHAT_DATA_DIR": dir}))
	var ix *bleve.Index
	start := func() (*fx.App, *stack) {
		var srv *httpapi.Server
		app := startApp(t, bootstrap.API(cfg), fx.Populate(&srv, &ix))
		return app, &stack{URL: "http://" + srv.Addr(), Config: cfg, t: t}
	}
	app, s := start()
	db, err := entstore.OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &stores{db: db, tables: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
		docs: func() int { n, _ := ix.Documents(); return int(n) }}
	deletionCase(t, s, st, nil, func() { stopApp(t, app) }, func() *stack { _, s = start(); return s })
}

// Production: refused at once on every api instance; the job runs in a
// worker; stopped half-way, another worker finishes it.
func TestDeleteApplicationProduction(t *testing.T) {
	env := productionEnv(t, maps.Clone(deleteEnv))
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	first := s.addWorker(env, "w0")
	var srv *httpapi.Server
	startApp(t, bootstrap.API(cfg), fx.Populate(&srv))
	s.URL = "http://" + srv.Addr()
	other := apiInstances(t, cfg, 1)[0]

	db, err := sql.Open("mysql", cfg.MySQL.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	redis, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{cfg.Redis.Addr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer redis.Close()
	st := &stores{db: db, tables: "SHOW TABLES",
		docs: func() int { return openSearchCount(t, cfg.OpenSearch.URL, cfg.OpenSearch.Index) },
		keys: func(token string) int {
			n := 0
			for _, node := range redis.Nodes() {
				keys, err := node.Do(context.Background(), node.B().Keys().Pattern("*"+token+"*").Build()).AsStrSlice()
				if err != nil {
					t.Fatal(err)
				}
				n += len(keys)
			}
			return n
		}}
	deletionCase(t, s, st, other, func() { stopApp(t, first) }, func() *stack { s.addWorker(env, "w1"); return s })
}

func stopApp(t *testing.T, app *fx.App) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func openSearchCount(t *testing.T, url, alias string) int {
	res, err := http.Get(strings.Split(url, ",")[0] + "/" + alias + "/_count")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Count
}

// deletionCase: an application with a bit of everything is deleted; it is
// refused at once (on other too, if any); its job, stopped half-way
// (interrupt) and taken up again (resume), leaves every store as it was
// before the application was made, and another application untouched.
func deletionCase(t *testing.T, s *stack, st *stores, other *stack, interrupt func(), resume func() *stack) {
	keeper := newApplication(t, s, "Keeper")
	kchat := chatWith(t, s, keeper)
	for i := range 3 {
		say(t, s, keeper, kchat, fmt.Sprintf("kept %d", i))
	}
	settled(t, s, keeper, kchat, 3, "kept", 3)
	// Search may have answered from the database while the index was made.
	eventually(t, "the index has the messages", func() bool { return st.docs() == 3 })
	baseline, baseDocs := st.rows(t), st.docs()

	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Doomed"}).want(t, 201)
	tok, secret := r.str("token"), r.str("secret")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook"}).want(t, 201)
	for range 3 {
		chat := chatWith(t, s, tok)
		for i := range 5 {
			say(t, s, tok, chat, fmt.Sprintf("doomed words %d", i))
		}
	}
	s.call(t, "POST", app+"/chats/3/messages", map[string]any{"body": "keyed"}, "Idempotency-Key", "k1").want(t, 201)
	s.call(t, "PUT", app+"/chats/1/members/u1", map[string]any{"role": "member"}).want(t, 200)
	for chat := int64(1); chat <= 3; chat++ {
		settled(t, s, tok, chat, 5+int(chat/3), "doomed", 5)
	}
	s.call(t, "PATCH", app+"/chats/1/messages/1", map[string]any{"body": "edited doomed"}).want(t, 200)
	s.call(t, "DELETE", app+"/chats/1/messages/2", nil).want(t, 204)
	eventually(t, "the delete persisted", func() bool {
		return s.call(t, "GET", app+"/chats/1/messages/2", nil).Status == 404
	})
	// A list may answer before the index has every document (keyed has no
	// "doomed" for settled to look for), so the count is waited for.
	eventually(t, "the index has the application's messages", func() bool { return st.docs() >= baseDocs+16 })
	before := st.rows(t)
	if before["messages"] < baseline["messages"]+16 {
		t.Fatalf("the application's data is not all there: %v, %d documents", before, st.docs())
	}
	if st.keys != nil && st.keys(tok) == 0 {
		t.Fatal("no Redis key names the application")
	}

	job := s.call(t, "DELETE", app, nil, bearerHeader(secret)...).want(t, 202)
	if job.str("state") != "pending" || !strings.HasPrefix(job.str("id"), "job_") {
		t.Fatalf("DELETE answered %s", job.Raw)
	}
	for _, api := range []*stack{s, other} {
		if api == nil {
			continue
		}
		api.call(t, "GET", app, nil).wantError(t, 404, "not_found")
		api.call(t, "GET", app, nil, bearerHeader(secret)...).wantError(t, 404, "not_found")
		api.call(t, "POST", app+"/chats", nil).wantError(t, 404, "not_found")
		api.call(t, "GET", app+"/chats/1/messages", nil).wantError(t, 404, "not_found")
		api.call(t, "DELETE", app, nil).wantError(t, 404, "not_found")
	}
	list := s.call(t, "GET", "/api/v1/chat_applications?limit=200", nil, bearerHeader("operator-secret")...).want(t, 200)
	if strings.Contains(list.Raw, tok) {
		t.Fatal("a deleted application is listed")
	}

	eventually(t, "the job under way", func() bool { _, done := st.job(t, job.str("id")); return done > 0 })
	interrupt()
	if state, _ := st.job(t, job.str("id")); state == "done" {
		t.Fatal("the job finished before its runner was stopped: nothing resumed")
	}
	s = resume()
	eventually(t, "the job done", func() bool { state, _ := st.job(t, job.str("id")); return state == "done" })

	after := st.rows(t)
	for table, n := range after {
		if n != baseline[table] {
			t.Errorf("%s: %d rows, %d before the application was made", table, n, baseline[table])
		}
	}
	if got := st.docs(); got != baseDocs {
		t.Errorf("%d index documents, %d before the application was made", got, baseDocs)
	}
	if st.keys != nil {
		if n := st.keys(tok); n != 0 {
			t.Errorf("%d Redis keys still name the application", n)
		}
	}
	s.call(t, "GET", app, nil).wantError(t, 404, "not_found")
	if n := len(s.call(t, "GET", fmt.Sprintf("/api/v1/chat_applications/%s/chats/%d/messages", keeper, kchat), nil).want(t, 200).items(t)); n != 3 {
		t.Fatalf("the other application has %d messages", n)
	}
}

// settled waits until the chat lists n messages and search finds hits for q.
func settled(t *testing.T, s *stack, tok string, chat int64, n int, q string, hits int) {
	t.Helper()
	base := fmt.Sprintf("/api/v1/chat_applications/%s/chats/%d/messages", tok, chat)
	eventually(t, "messages persisted and indexed", func() bool {
		l := s.call(t, "GET", base, nil)
		found := s.call(t, "GET", base+"/search?q="+q, nil)
		return l.Status == 200 && len(l.items(t)) == n && found.Status == 200 && len(found.items(t)) == hits
	})
}
