package bootstrap_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/internal/testenv"
)

func TestGraphsValidate(t *testing.T) {
	env := map[string]string{"CHAT_PROFILE": "production", "CHAT_MYSQL_DSN": "u:p@tcp(127.0.0.1:1)/x", "CHAT_REDIS_ADDR": "127.0.0.1:1", "CHAT_OPENSEARCH_URL": "http://127.0.0.1:1"}
	prod := loadConfig(t, env)
	emb := loadConfig(t, map[string]string{"CHAT_DATA_DIR": t.TempDir()})
	persister, indexer := prod, prod
	persister.Worker.Roles, indexer.Worker.Roles = []string{"persist"}, []string{"index"}
	for name, opt := range map[string]fx.Option{
		"api": bootstrap.API(prod), "worker": bootstrap.Worker(prod), "embedded": bootstrap.API(emb),
		"persisting worker": bootstrap.Worker(persister), "indexing worker": bootstrap.Worker(indexer),
	} {
		if err := fx.ValidateApp(opt, fx.NopLogger); err != nil {
			t.Errorf("%s graph: %v", name, err)
		}
	}
}

// Building a graph does no I/O: every process is constructed whole with
// nothing listening at its dependencies' addresses (and the embedded data
// directory untouched), and only starting it reaches them.
func TestConstructorsDoNoIO(t *testing.T) {
	env := map[string]string{"CHAT_PROFILE": "production", "CHAT_MYSQL_DSN": "u:p@tcp(127.0.0.1:1)/x", "CHAT_REDIS_ADDR": "127.0.0.1:1",
		"CHAT_OPENSEARCH_URL": "http://127.0.0.1:1", "CHAT_STARTUP_ATTEMPTS": "1", "CHAT_STARTUP_RETRY": "10ms", "CHAT_HTTP_ADDR": "127.0.0.1:0", "CHAT_WORKER_HTTP_ADDR": "127.0.0.1:0"}
	prod := loadConfig(t, env)
	dir := filepath.Join(t.TempDir(), "data")
	emb := loadConfig(t, map[string]string{"CHAT_HTTP_ADDR": "127.0.0.1:0"})
	emb.SQLite.DataDir = dir
	for name, opt := range map[string]fx.Option{"api": bootstrap.API(prod), "worker": bootstrap.Worker(prod)} {
		// One attempt at each dependency: a constructor that tried would fail.
		app := fx.New(opt, fx.NopLogger)
		if err := app.Err(); err != nil {
			t.Fatalf("%s: constructing failed: %v", name, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := app.Start(ctx); err == nil {
			t.Errorf("%s started with no dependency reachable", name)
		}
		_ = app.Stop(ctx)
		cancel()
	}
	app := fx.New(bootstrap.API(emb), fx.NopLogger)
	if err := app.Err(); err != nil {
		t.Fatalf("embedded: constructing failed: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("constructing the embedded graph touched its data directory: %v", err)
	}
}

// The migrate command's graph applies the migrations to a database that has
// none, and nothing to one that has them all.
func TestMigrateCommandGraph(t *testing.T) {
	dsn := testenv.MySQLDSN(t) // migrated already
	cfg := loadConfig(t, map[string]string{"CHAT_MYSQL_DSN": dsn, "CHAT_STARTUP_ATTEMPTS": "2"})
	applied := -1
	if err := bootstrap.RunOnce(bootstrap.Migrate(cfg, func(n int) { applied = n })); err != nil || applied != 0 {
		t.Fatalf("on a migrated database: %d applied, %v", applied, err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background()) // one session: the foreign key switch is per session
	if err != nil {
		t.Fatal(err)
	}
	tables := strings.Join(queryStrings(t, conn, "SHOW TABLES"), ", ")
	for _, stmt := range []string{"SET FOREIGN_KEY_CHECKS=0", "DROP TABLE " + tables} {
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	if err := bootstrap.RunOnce(bootstrap.Migrate(cfg, func(n int) { applied = n })); err != nil || applied < 1 {
		t.Fatalf("on an empty database: %d applied, %v", applied, err)
	}
	cfg.MySQL.DSN = "u:p@tcp(127.0.0.1:1)/x"
	cfg.Startup.Attempts = 1
	if err := bootstrap.RunOnce(bootstrap.Migrate(cfg, func(int) {})); err == nil {
		t.Fatal("migrating an unreachable database succeeded")
	}
}

func queryStrings(t *testing.T, conn *sql.Conn, q string) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// The maintenance commands get what they work with from the services'
// modules, started, and only what they ask for.
func TestMaintenanceGraph(t *testing.T) {
	cfg := loadConfig(t, productionEnv(t, nil))
	var store *entstore.Store
	var client goredis.UniversalClient
	stop, err := bootstrap.Maintenance(cfg, &store, &client)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Ping(context.Background()); err != nil {
		t.Fatalf("the store is not started: %v", err)
	}
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("the Redis client is not started: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	cfg.MySQL.DSN, cfg.Startup.Attempts = "u:p@tcp(127.0.0.1:1)/x", 1
	if _, err := bootstrap.Maintenance(cfg, &store); err == nil {
		t.Fatal("an unreachable database was not reported")
	}
}

// With CHAT_MYSQL_REPLICA_DSN the api reads chats and messages from a real
// replica: what is created through the api becomes readable once the worker
// persisted it and the replica applied it.
func TestAPIOnAReadReplica(t *testing.T) {
	primary, replica := testenv.MySQLReplica(t)
	s := productionStack(t, map[string]string{"CHAT_MYSQL_DSN": primary, "CHAT_MYSQL_REPLICA_DSN": replica})
	tok := newApplication(t, s, "replicated")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "GET", app, nil).want(t, 200) // applications are read from the primary, at once
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "through the replica"}).want(t, 201)
	eventually(t, "the message read from the replica", func() bool {
		r := s.call(t, "GET", app+"/chats/1/messages/1", nil)
		return r.Status == 200 && r.str("body") == "through the replica"
	})
	eventually(t, "the count read from the replica", func() bool {
		return s.call(t, "GET", app+"/chats/1", nil).num("messages_count") == 1
	})
}
