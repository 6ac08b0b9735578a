package bootstrap_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/chatsvc/chat/bootstrap"
)

// Docker cannot run here, so docker-compose.yml is checked by reading it:
// it must be a valid Compose file, and every service built from this repo
// must get an environment the service itself accepts.
func TestDockerComposeFile(t *testing.T) {
	ctx := context.Background()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"}, cli.WithName("chat"), cli.WithOsEnv)
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(ctx)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
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
	for _, want := range []string{"resolver 127.0.0.11", "http://api:8080", "proxy_buffering off", "proxy_read_timeout 1h", "listen 80"} {
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
	redis, _ := project.GetService("redis")
	if !strings.Contains(strings.Join(redis.Command, " "), "--appendonly yes") {
		t.Fatal("redis runs without AOF")
	}
	mysql, _ := project.GetService("mysql")
	if mysql.Image != "mysql:8.4" {
		t.Fatalf("mysql image %s, want mysql:8.4", mysql.Image)
	}
	// The OpenSearch version is pinned once, for compose and for the node tests start.
	pinned, err := os.ReadFile("../scripts/opensearch.version")
	if err == nil {
		os, _ := project.GetService("opensearch")
		if want := "opensearchproject/opensearch:" + strings.TrimSpace(string(pinned)); os.Image != want {
			t.Fatalf("opensearch image %s, want %s", os.Image, want)
		}
	}
}
