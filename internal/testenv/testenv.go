// Package testenv gives tests the real servers they run against: a fresh
// MySQL (MariaDB) database, Redis and OpenSearch, all started by
// scripts/services.sh (which .ci/run calls), and Redis servers of a test's
// own. When a server is missing the test fails under CI and is skipped
// elsewhere, so that CI never silently skips. A test that disturbs a shared
// server (pauses the replica, stops an OpenSearch node) has it to itself.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/gofrs/flock"

	"github.com/chatsvc/chat/adapters/entstore"
)

// Defaults match scripts/services.sh.
const (
	defaultMySQL       = "chat:chat@tcp(127.0.0.1:3306)/"
	defaultReplPrimary = "chat:chat@tcp(127.0.0.1:3308)/"
	defaultReplReplica = "chat:chat@tcp(127.0.0.1:3307)/"
	defaultRedis       = "127.0.0.1:6379"
	// A 3-master Redis Cluster.
	defaultRedisCluster = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003"
)

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required in CI and not reachable: %v (scripts/services.sh starts it)", what, err)
	}
	t.Skipf("%s not reachable (%v); run scripts/services.sh", what, err)
}

// Suffix is a random name part, so that parallel tests never share state.
func Suffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// MySQLDSN creates a fresh, migrated database and returns its DSN. The
// database is dropped when the test ends.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	return migratedDatabase(t, env("CHAT_TEST_MYSQL_DSN", defaultMySQL))
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// MySQLReplica creates a fresh, migrated database on the primary that
// scripts/services.sh replicates, waits until the replica has it, and
// returns the DSNs of both. The test shares the replica with the tests of
// other packages running beside it, but never with one that pauses it.
func MySQLReplica(t testing.TB) (primary, replica string) {
	t.Helper()
	holdLock(t, replicaLock, false)
	return replicaDatabase(t)
}

// MySQLReplicaToPause is MySQLReplica for a test that pauses replication
// (STOP SLAVE): it has the replica to itself until it ends, so that no test
// of another package waits meanwhile on a replica that does not apply.
func MySQLReplicaToPause(t testing.TB) (primary, replica string) {
	t.Helper()
	holdLock(t, replicaLock, true)
	return replicaDatabase(t)
}

// Locks on the servers all tests share that some tests disturb: a user
// holds one shared, a disturber exclusively, each until its test ends. A
// file lock, since go test runs packages in processes of their own.
const (
	replicaLock = "chat-test-mysql-replica.lock"
	pairLock    = "chat-test-opensearch-pair.lock"
)

func holdLock(t testing.TB, name string, exclusive bool) {
	t.Helper()
	l := flock.New(filepath.Join(os.TempDir(), name))
	lock := l.RLock
	if exclusive {
		lock = l.Lock
	}
	if err := lock(); err != nil {
		t.Fatalf("lock %s: %v", l.Path(), err)
	}
	t.Cleanup(func() { _ = l.Unlock() })
}

func replicaDatabase(t testing.TB) (primary, replica string) {
	t.Helper()
	primary = migratedDatabase(t, env("CHAT_TEST_MYSQL_REPL_PRIMARY_DSN", defaultReplPrimary))
	p, _ := mysql.ParseDSN(primary)
	r, err := mysql.ParseDSN(env("CHAT_TEST_MYSQL_REPLICA_DSN", defaultReplReplica))
	if err != nil {
		t.Fatal(err)
	}
	r.DBName = p.DBName
	replica = r.FormatDSN()
	if err := replicated(primary, replica); err != nil {
		unavailable(t, "the MySQL replica (replicating the database)", err)
	}
	return primary, replica
}

// WaitReplicated waits until the replica has applied every transaction the
// primary had committed when it was called.
func WaitReplicated(t testing.TB, primary, replica string) {
	t.Helper()
	if err := replicated(primary, replica); err != nil {
		t.Fatal(err)
	}
}

// replicated asks the replica to wait, up to 30 s, for the primary's binlog
// position (MariaDB's MASTER_GTID_WAIT returns as soon as it applied it).
func replicated(primary, replica string) error {
	var pos string
	if err := queryServer(primary, "SELECT @@gtid_binlog_pos", nil, &pos); err != nil {
		return fmt.Errorf("the primary's position: %w", err)
	}
	var res int
	if err := queryServer(replica, "SELECT MASTER_GTID_WAIT(?, 30)", []any{pos}, &res); err != nil {
		return fmt.Errorf("waiting for the replica: %w", err)
	}
	if res != 0 {
		return fmt.Errorf("the replica did not reach %s in 30 s", pos)
	}
	return nil
}

// queryServer reads one value from the server of dsn (whatever its database).
func queryServer(dsn, query string, args []any, dest any) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	cfg.DBName = ""
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRow(query, args...).Scan(dest)
}

// migratedDatabase creates a database on the server of base, migrated, and
// returns its DSN; it is dropped when the test ends.
func migratedDatabase(t testing.TB, base string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("CHAT_TEST_MYSQL_DSN: %v", err)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		unavailable(t, "MySQL", err)
	}
	name := "chat_test_" + Suffix()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name) })
	cfg.DBName = name
	dsn := cfg.FormatDSN()
	db, err := entstore.OpenMySQL(dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := entstore.Migrate(context.Background(), db, "mysql"); err != nil {
		t.Fatal(err)
	}
	return dsn
}
