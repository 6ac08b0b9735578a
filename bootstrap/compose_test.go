package bootstrap_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	_ "github.com/go-sql-driver/mysql"
	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/internal/testenv"
)

// Docker cannot run here, so docker-compose.yml is checked by reading it:
// it must be a valid Compose file, and every service built from this repo
// must get an environment the service itself accepts.
func TestDockerComposeFile(t *testing.T) {
	project := loadCompose(t)
	for _, name := range []string{"mysql", "redis", "opensearch", "migrate", "api", "worker"} {
		if _, err := project.GetService(name); err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
	}
	for _, name := range []string{"migrate", "api", "worker"} {
		svc, _ := project.GetService(name)
		if svc.Build == nil {
			t.Fatalf("%s is not built from this repository", name)
		}
		env := map[string]string{}
		for k, v := range svc.Environment {
			if v != nil {
				env[k] = *v
			}
		}
		if _, err := bootstrap.LoadConfig(func(k string) string { return env[k] }); err != nil {
			t.Fatalf("%s's environment is refused: %v", name, err)
		}
		if env["CHAT_PROFILE"] != "production" {
			t.Fatalf("%s does not run the production profile", name)
		}
	}
	for _, name := range []string{"api", "worker"} {
		svc, _ := project.GetService(name)
		if svc.HealthCheck == nil || svc.DependsOn["migrate"].Condition != "service_completed_successfully" {
			t.Fatalf("%s lacks a health check or does not wait for migrate", name)
		}
	}
	// Scaling (docker compose up --scale api=3 --scale worker=2): no
	// replica publishes a host port (they would clash); the load balancer
	// does, for every api replica, with live streams unbuffered.
	for _, name := range []string{"api", "worker"} {
		if svc, _ := project.GetService(name); len(svc.Ports) > 0 {
			t.Fatalf("%s publishes %v: a second replica could not start", name, svc.Ports)
		}
	}
	lb, err := project.GetService("lb")
	if err != nil || len(lb.Ports) != 1 || lb.Ports[0].Target != 80 || lb.DependsOn["api"].Condition != "service_healthy" {
		t.Fatalf("the load balancer: %+v %v", lb, err)
	}
	conf, err := os.ReadFile("../deploy/nginx/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"resolver 127.0.0.11", "http://api:8080", "proxy_buffering off", "proxy_read_timeout 1h", "listen 80", "X-Real-IP $remote_addr"} {
		if !strings.Contains(string(conf), want) {
			t.Fatalf("deploy/nginx/nginx.conf lacks %q", want)
		}
	}
	mounted := false
	for _, v := range lb.Volumes {
		mounted = mounted || strings.HasSuffix(v.Source, "deploy/nginx/nginx.conf") && v.Target == "/etc/nginx/nginx.conf"
	}
	if !mounted {
		t.Fatal("the load balancer does not mount deploy/nginx/nginx.conf")
	}
	// CHAT_RATE_LIMIT counts each client apart: the api believes the lb's X-Real-IP.
	if api, _ := project.GetService("api"); api.Environment["CHAT_TRUSTED_PROXIES"] == nil || *api.Environment["CHAT_TRUSTED_PROXIES"] == "" {
		t.Fatal("the api trusts no proxy: behind the lb, every client would share one rate-limit budget")
	}
	redis, _ := project.GetService("redis")
	if !strings.Contains(strings.Join(redis.Command, " "), "--appendonly yes") {
		t.Fatal("redis runs without AOF")
	}
	// The OpenSearch version is pinned once, for compose and for the node tests start.
	pinned, err := os.ReadFile("../scripts/opensearch.version")
	if err != nil {
		t.Fatal(err)
	}
	if img := image(t, project, "opensearch"); img != "opensearchproject/opensearch:"+strings.TrimSpace(string(pinned)) {
		t.Fatalf("opensearch image %s, want the version of scripts/opensearch.version, %s", img, pinned)
	}
}

// Compose ships the servers every test runs against (those
// scripts/services.sh starts, in CI as here): the same server, the same
// major.minor, as the running servers report their versions.
func TestComposeShipsWhatTestsRun(t *testing.T) {
	project := loadCompose(t)
	ctx := context.Background()
	db, err := sql.Open("mysql", testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dbVersion string // 10.11.19-MariaDB-0+deb12u1
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&dbVersion); err != nil {
		t.Fatal(err)
	}
	want := "mysql:" + majorMinor(t, dbVersion)
	if strings.Contains(dbVersion, "MariaDB") {
		want = "mariadb:" + majorMinor(t, dbVersion)
	}
	if img := image(t, project, "mysql"); img != want {
		t.Fatalf("compose's database is %s, the tests run on %s (%s)", img, want, dbVersion)
	}

	rc := goredis.NewClient(&goredis.Options{Addr: testenv.RedisAddr(t)})
	defer rc.Close()
	info, err := rc.Info(ctx, "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^redis_version:(\S+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("no redis_version in INFO server: %s", info)
	}
	if img, want := image(t, project, "redis"), "redis:"+majorMinor(t, m[1]); img != want {
		t.Fatalf("compose's Redis is %s, the tests run on %s (%s)", img, want, m[1])
	}

	url, _ := testenv.OpenSearchURL(t)
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var root struct {
		Version struct {
			Distribution, Number string
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&root); err != nil {
		t.Fatal(err)
	}
	if img, want := image(t, project, "opensearch"), "opensearchproject/opensearch:"+root.Version.Number; root.Version.Distribution != "opensearch" || img != want {
		t.Fatalf("compose's OpenSearch is %s, the tests run on %s %s", img, root.Version.Distribution, root.Version.Number)
	}
}

func image(t *testing.T, project *types.Project, service string) string {
	t.Helper()
	svc, err := project.GetService(service)
	if err != nil {
		t.Fatal(err)
	}
	return svc.Image
}

// majorMinor is "10.11" of "10.11.19-MariaDB-0+deb12u1", "7.0" of "7.0.15".
func majorMinor(t *testing.T, version string) string {
	t.Helper()
	m := regexp.MustCompile(`^(\d+\.\d+)\.`).FindStringSubmatch(version)
	if m == nil {
		t.Fatalf("version %q is not major.minor.patch", version)
	}
	return m[1]
}

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"}, cli.WithName("chat"), cli.WithOsEnv)
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return project
}

// The image holds every command docs/RUNBOOK.md names, and the runbook
// shows how to run each against the compose stack.
func TestImageRunsTheRunbook(t *testing.T) {
	dockerfile, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ARG COMMANDS="([^"]+)"`).FindSubmatch(dockerfile)
	if m == nil {
		t.Fatal(`the Dockerfile has no ARG COMMANDS="…" list of the commands it builds`)
	}
	inImage := map[string]bool{}
	for _, c := range strings.Fields(string(m[1])) {
		if _, err := os.Stat("../cmd/" + c + "/main.go"); err != nil {
			t.Fatalf("the Dockerfile builds %s, which is not a command: %v", c, err)
		}
		inImage[c] = true
	}
	runbook, err := os.ReadFile("../docs/RUNBOOK.md")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:cmd/|/usr/local/bin/)([a-z]+)`).FindAllSubmatch(runbook, -1) {
		named[string(m[1])] = true
	}
	for c := range named {
		if !inImage[c] {
			t.Errorf("docs/RUNBOOK.md names %s, which the image does not hold", c)
		}
	}
	for _, m := range regexp.MustCompile(`go run \./cmd/([a-z]+)`).FindAllSubmatch(runbook, -1) {
		if c := string(m[1]); !strings.Contains(string(runbook), "docker compose run --rm --no-deps --entrypoint /usr/local/bin/"+c+" api") {
			t.Errorf("docs/RUNBOOK.md tells operators to run %s, without its docker compose run line", c)
		}
	}
	for _, svc := range loadCompose(t).Services {
		for _, arg := range svc.Entrypoint {
			if c, ok := strings.CutPrefix(arg, "/usr/local/bin/"); ok && !inImage[c] {
				t.Errorf("compose service %s runs %s, which the image does not hold", svc.Name, c)
			}
		}
	}
}
