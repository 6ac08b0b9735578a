package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

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
// killed when the test ends. args are more redis-server options (a later
// one wins: "--appendfsync", "always" loses nothing to a kill).
func OwnPersistentRedis(t testing.TB, args ...string) *RedisServer {
	t.Helper()
	r := &RedisServer{t: t, Dir: t.TempDir(), args: append([]string{"--save", "", "--appendonly", "yes", "--appendfsync", "everysec"}, args...)}
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
