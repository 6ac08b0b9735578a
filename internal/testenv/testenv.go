// Package testenv gives tests the real servers they run against: a fresh
// MySQL (MariaDB) database and Redis, both started by scripts/services.sh
// (which .ci/run calls). When a server is missing the test fails under CI
// and is skipped elsewhere, so that CI never silently skips.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

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
// returns the DSNs of both.
func MySQLReplica(t testing.TB) (primary, replica string) {
	t.Helper()
	primary = migratedDatabase(t, env("CHAT_TEST_MYSQL_REPL_PRIMARY_DSN", defaultReplPrimary))
	p, _ := mysql.ParseDSN(primary)
	r, err := mysql.ParseDSN(env("CHAT_TEST_MYSQL_REPLICA_DSN", defaultReplReplica))
	if err != nil {
		t.Fatal(err)
	}
	r.DBName = p.DBName
	replica = r.FormatDSN()
	db, err := sql.Open("mysql", replica)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := db.QueryRow("SELECT COUNT(*) FROM messages").Scan(&n)
		if err == nil {
			return primary, replica
		}
		if time.Now().After(deadline) {
			unavailable(t, "the MySQL replica (replicating the database)", err)
			return "", ""
		}
		time.Sleep(100 * time.Millisecond)
	}
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

// RedisAddr returns the address of a reachable Redis.
func RedisAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("CHAT_TEST_REDIS_ADDR")
	if addr == "" {
		addr = defaultRedis
	}
	if err := pingRedis(addr); err != nil {
		unavailable(t, "Redis", err)
	}
	return addr
}

// RedisClusterAddr returns the seed nodes (comma-separated, as
// CHAT_REDIS_ADDR takes them) of a reachable Redis Cluster whose every
// slot is served.
func RedisClusterAddr(t testing.TB) string {
	t.Helper()
	addr := env("CHAT_TEST_REDIS_CLUSTER", defaultRedisCluster)
	for _, a := range strings.Split(addr, ",") {
		if err := pingRedis(a); err != nil {
			unavailable(t, "the Redis Cluster", err)
		}
	}
	info, err := askRedis(strings.Split(addr, ",")[0], "CLUSTER INFO")
	if err == nil && !strings.Contains(info, "cluster_state:ok") {
		err = fmt.Errorf("cluster not ready: %q", info)
	}
	if err != nil {
		unavailable(t, "the Redis Cluster", err)
	}
	return addr
}

// EachRedis runs test as a subtest on the single Redis ("redis") and on
// the Redis Cluster ("cluster"), both started by scripts/services.sh, with
// the address CHAT_REDIS_ADDR would take.
func EachRedis(t *testing.T, test func(t *testing.T, addr string)) {
	t.Run("redis", func(t *testing.T) { test(t, RedisAddr(t)) })
	t.Run("cluster", func(t *testing.T) { test(t, RedisClusterAddr(t)) })
}

// askRedis sends one inline command and returns the answer's first read.
func askRedis(addr, cmd string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	return string(buf[:n]), err
}

// pingRedis speaks just enough RESP to ask PING, so that this package does
// not pick a Redis client for the tests that use it.
func pingRedis(addr string) error {
	answer, err := askRedis(addr, "PING")
	if err != nil {
		return err
	}
	if !strings.HasPrefix(answer, "+PONG") {
		return fmt.Errorf("unexpected answer %q", answer)
	}
	return nil
}

// OpenSearchURL returns the URL of a reachable OpenSearch and an index (alias)
// name of this test's own; every index under that name is deleted at the end.
func OpenSearchURL(t testing.TB) (url, alias string) {
	t.Helper()
	url = os.Getenv("CHAT_TEST_OPENSEARCH_URL")
	if url == "" {
		url = "http://127.0.0.1:9200"
	}
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Get(url + "/_cluster/health")
	if err != nil {
		unavailable(t, "OpenSearch", err)
		return "", ""
	}
	res.Body.Close()
	alias = "test-" + Suffix()
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, url+"/"+alias+"*", nil)
		if res, err := c.Do(req); err == nil {
			res.Body.Close()
		}
	})
	return url, alias
}

// OpenSearchPair is the two-node OpenSearch cluster scripts/services.sh
// starts (scripts/opensearch/TwoNodes.java), with its control.
type OpenSearchPair struct {
	URLs    []string // each node's
	ctl     string
	stopped bool
}

// URL is the nodes' URLs as CHAT_OPENSEARCH_URL takes them.
func (p *OpenSearchPair) URL() string { return strings.Join(p.URLs, ",") }

// OpenSearchCluster returns the two-node cluster, both nodes up, and an
// index (alias) name of this test's own, deleted at the end.
func OpenSearchCluster(t testing.TB) (pair *OpenSearchPair, alias string) {
	t.Helper()
	pair = &OpenSearchPair{
		URLs: strings.Split(env("CHAT_TEST_OPENSEARCH_CLUSTER", "http://127.0.0.1:9201,http://127.0.0.1:9202"), ","),
		ctl:  env("CHAT_TEST_OPENSEARCH_CONTROL", "http://127.0.0.1:9290"),
	}
	if _, err := pair.control("/", http.StatusNotFound); err != nil {
		unavailable(t, "the two-node OpenSearch cluster's control", err)
		return nil, ""
	}
	// Both nodes up (another package's test may hold one stopped for a few
	// seconds); a node that a test left stopped (it died before its
	// cleanup) is started again.
	for attempt := 0; ; attempt++ {
		deadline := time.Now().Add(30 * time.Second)
		nodes, err := pair.nodes()
		for ; nodes != 2 && time.Now().Before(deadline); nodes, err = pair.nodes() {
			time.Sleep(200 * time.Millisecond)
		}
		if nodes == 2 {
			break
		}
		if attempt == 1 {
			unavailable(t, "the two-node OpenSearch cluster", fmt.Errorf("%d nodes: %v", nodes, err))
			return nil, ""
		}
		_, _ = pair.control("/start", http.StatusConflict)
	}
	alias = "test-" + Suffix()
	t.Cleanup(func() {
		for _, u := range pair.URLs {
			req, _ := http.NewRequest(http.MethodDelete, u+"/"+alias+"*", nil)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
				return
			}
		}
	})
	return pair, alias
}

// nodes is the cluster's node count, as the first node answering sees it.
func (p *OpenSearchPair) nodes() (int, error) {
	var err error
	for _, u := range p.URLs {
		var res *http.Response
		res, err = (&http.Client{Timeout: 5 * time.Second}).Get(u + "/_cluster/health")
		if err != nil {
			continue
		}
		var h struct {
			Nodes int `json:"number_of_nodes"`
		}
		err = json.NewDecoder(res.Body).Decode(&h)
		res.Body.Close()
		return h.Nodes, err
	}
	return 0, err
}

// StopNode stops the node that is not the cluster manager and returns its
// URL; it starts again by StartNode, or when the test ends.
func (p *OpenSearchPair) StopNode(t testing.TB) string {
	t.Helper()
	port, err := p.control("/stop")
	if err != nil {
		t.Fatalf("stopping a node: %v", err)
	}
	p.stopped = true
	t.Cleanup(func() {
		if p.stopped {
			p.StartNode(t)
		}
	})
	return "http://127.0.0.1:" + port
}

// StartNode starts the stopped node again and waits until it joined.
func (p *OpenSearchPair) StartNode(t testing.TB) {
	t.Helper()
	if _, err := p.control("/start"); err != nil {
		t.Fatalf("starting the node: %v", err)
	}
	p.stopped = false
	deadline := time.Now().Add(60 * time.Second)
	for n, _ := p.nodes(); n != 2; n, _ = p.nodes() {
		if time.Now().After(deadline) {
			t.Fatalf("the node started again did not join (%d nodes)", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// control asks TwoNodes; statuses other than 200 in ok are not errors.
func (p *OpenSearchPair) control(path string, ok ...int) (string, error) {
	res, err := (&http.Client{Timeout: 90 * time.Second}).Post(p.ctl+path, "text/plain", nil)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK && !slices.Contains(ok, res.StatusCode) {
		return "", fmt.Errorf("%s: %s %s", path, res.Status, b)
	}
	return string(b), nil
}

// OwnRedis starts a Redis server of the test's own on a free loopback port
// (no persistence), for tests that flush or stop it, and returns its address.
func OwnRedis(t testing.TB) string {
	t.Helper()
	r := &RedisServer{t: t, Dir: t.TempDir(), args: []string{"--save", "", "--appendonly", "no"}}
	r.Addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
	r.Start()
	return r.Addr
}

// RedisServer is a redis-server of a test's own that persists to an
// append-only file (appendfsync everysec, as scripts/services.sh runs Redis),
// for tests that kill it and start it again from its data.
type RedisServer struct {
	Addr string
	Dir  string // its data directory: the AOF is under appendonlydir
	t    testing.TB
	args []string
	cmd  *exec.Cmd
}

// OwnPersistentRedis starts a RedisServer on a free loopback port; it is
// killed when the test ends.
func OwnPersistentRedis(t testing.TB) *RedisServer {
	t.Helper()
	r := &RedisServer{t: t, Dir: t.TempDir(), args: []string{"--save", "", "--appendonly", "yes", "--appendfsync", "everysec"}}
	r.Addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
	r.Start()
	return r
}

// Start starts the server (again) on its address and data directory and
// waits until it answers, its data loaded.
func (r *RedisServer) Start() {
	r.t.Helper()
	_, port, _ := strings.Cut(r.Addr, ":")
	r.cmd = exec.Command("redis-server", append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", r.Dir}, r.args...)...)
	if err := r.cmd.Start(); err != nil {
		unavailable(r.t, "redis-server", err)
	}
	cmd := r.cmd
	r.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for err := pingRedis(r.Addr); err != nil; err = pingRedis(r.Addr) { // -LOADING until the data is in
		if time.Now().After(deadline) {
			r.t.Fatalf("own redis-server did not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill stops the server with SIGKILL, as a crash would, and waits until it is gone.
func (r *RedisServer) Kill() {
	r.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
	_ = r.cmd.Wait()
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// OwnRedisCluster starts a Redis Cluster of the test's own on free loopback
// ports: masters, each with one replica, all stopped when the test ends. It
// returns the seed nodes as CHAT_REDIS_ADDR takes them, once every slot is
// served and every replica is in sync.
func OwnRedisCluster(t testing.TB, masters int) string {
	t.Helper()
	var addrs []string
	for range 2 * masters {
		port := freePort(t)
		dir := t.TempDir()
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", dir+"/nodes.conf", "--cluster-node-timeout", "2000",
			"--save", "", "--appendonly", "no", "--dir", dir)
		if err := cmd.Start(); err != nil {
			unavailable(t, "redis-server", err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(port))
	}
	for _, a := range addrs {
		for i := 0; pingRedis(a) != nil; i++ {
			if i == 100 {
				t.Fatalf("own cluster node %s did not answer", a)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	out, err := exec.Command("redis-cli", append(args, "--cluster-replicas", "1", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := true
		for _, a := range addrs {
			info, err := askRedis(a, "CLUSTER INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				ready = false
			}
			role, err := askRedis(a, "INFO replication")
			if err != nil || (strings.Contains(role, "role:slave") && !strings.Contains(role, "master_link_status:up")) {
				ready = false
			}
			// Every node knows every other, replicas included (gossip).
			nodes, err := askRedis(a, "CLUSTER NODES")
			if err != nil || strings.Count(nodes, " connected") != 2*masters ||
				strings.Count(nodes, "slave ") != masters || strings.Contains(nodes, "handshake") || strings.Contains(nodes, "fail") {
				ready = false
			}
		}
		if ready {
			return strings.Join(addrs[:masters], ",")
		}
		if time.Now().After(deadline) {
			t.Fatal("own cluster did not become ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SlotOwners finds in a CLUSTER NODES answer the master serving slot and
// one of its replicas (host:port each; "" when there is none).
func SlotOwners(nodes string, slot int64) (master, replica string) {
	// RESP3 answers CLUSTER NODES as a verbatim string, which a client may
	// hand over with its "txt:" format prefix, glued to the first node's id.
	nodes = strings.TrimPrefix(strings.TrimSpace(nodes), "txt:")
	lines := strings.Split(nodes, "\n")
	masterID := ""
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.Contains(f[2], "master") {
			continue
		}
		for _, r := range f[8:] {
			var lo, hi int64
			if n, _ := fmt.Sscanf(r, "%d-%d", &lo, &hi); n == 2 && lo <= slot && slot <= hi {
				masterID, master = f[0], strings.Split(f[1], "@")[0]
			}
		}
	}
	for _, line := range lines {
		if f := strings.Fields(line); len(f) > 3 && masterID != "" && strings.Contains(f[2], "slave") && f[3] == masterID {
			return master, strings.Split(f[1], "@")[0]
		}
	}
	return master, ""
}
