package bootstrap_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/domain"
)

func TestConfigDefaultsToEmbedded(t *testing.T) {
	cfg := loadConfig(t, map[string]string{})
	if cfg.Profile != bootstrap.ProfileEmbedded || cfg.API.Addr != ":8080" || cfg.SQLite.DataDir != "./data" || cfg.API.AdminToken != "" ||
		cfg.API.MaxBodyBytes != domain.DefaultMaxBodyBytes || cfg.Consumer.ClaimIdle != 30*time.Second || len(cfg.Worker.Roles) != 3 {
		t.Fatalf("defaults %+v", cfg)
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := bootstrap.LoadConfig(func(k string) string {
		return map[string]string{"CHAT_PROFILE": "production", "CHAT_RATE_LIMIT": "lots", "CHAT_CLAIM_IDLE": "-1s"}[k]
	})
	if err == nil {
		t.Fatal("a bad configuration was accepted")
	}
	for _, want := range []string{"CHAT_MYSQL_DSN", "CHAT_REDIS_ADDR", "CHAT_OPENSEARCH_URL", "CHAT_RATE_LIMIT", "CHAT_CLAIM_IDLE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
	if _, err := bootstrap.LoadConfig(func(k string) string { return map[string]string{"CHAT_PROFILE": "staging"}[k] }); err == nil {
		t.Fatal("an unknown profile was accepted")
	}
	// A cluster's seeds with a hole, and a stream prefix that would carry a
	// hash tag of its own (the partitions' names are the applications' tags).
	_, err = bootstrap.LoadConfig(func(k string) string {
		return map[string]string{"CHAT_PROFILE": "production", "CHAT_MYSQL_DSN": "u:p@tcp(h:3306)/d", "CHAT_OPENSEARCH_URL": "http://o1:9200,o2:9200",
			"CHAT_REDIS_ADDR": "r1:7001,,r3:7003", "CHAT_STREAM_PREFIX": "chat.{events}"}[k]
	})
	for _, want := range []string{"CHAT_REDIS_ADDR", "CHAT_STREAM_PREFIX", "CHAT_OPENSEARCH_URL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
}

func TestConfigReadsSettings(t *testing.T) {
	cfg := loadConfig(t, map[string]string{"CHAT_PROFILE": "production", "CHAT_MYSQL_DSN": "u:p@tcp(h:3306)/d",
		"CHAT_REDIS_ADDR": "r:6379", "CHAT_OPENSEARCH_URL": "http://o:9200", "CHAT_CLAIM_IDLE": "90s", "CHAT_WORKER_CONCURRENCY": "7"})
	if cfg.Consumer.ClaimIdle != 90*time.Second || cfg.Consumer.Concurrency != 7 || cfg.OpenSearch.URL != "http://o:9200" {
		t.Fatalf("settings %+v", cfg)
	}
}

// The rate limit answers 429 with Retry-After once a client exceeds it.
func TestRateLimit(t *testing.T) {
	s := embeddedStack(t, map[string]string{"CHAT_RATE_LIMIT": "5"})
	limited := 0
	for i := 0; i < 20; i++ {
		r := s.call(t, "GET", "/api/v1/chat_applications/AAAAAAAAAAAAAAAAAAAAAAAA", nil)
		if r.Status == 429 {
			limited++
			r.wantError(t, 429, "rate_limited")
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Fatal("20 requests in a burst were all served under a limit of 5 per second")
	}
}

// Without an admin token configured, the operator endpoint is closed to all.
func TestOperatorEndpointWithoutAdminToken(t *testing.T) {
	s := embeddedStack(t, map[string]string{"CHAT_ADMIN_TOKEN": " "})
	s.call(t, "GET", "/api/v1/chat_applications", nil, "Authorization", "Bearer ").wantError(t, 403, "forbidden")
}

// Per-application budgets: writes and reads apart, one application's spending
// does not touch another's, every answer says where the budget stands, and
// in production the budget is shared by every api instance (Redis).
func TestAppRateLimits(t *testing.T) {
	limits := map[string]string{"CHAT_APP_WRITE_RATE": "1", "CHAT_APP_WRITE_BURST": "4", "CHAT_APP_READ_RATE": "1000", "CHAT_APP_READ_BURST": "1000"}
	check := func(t *testing.T, apis []*stack) {
		tok := newApplication(t, apis[0], "limited")
		other := newApplication(t, apis[0], "other")
		path := "/api/v1/chat_applications/" + tok + "/chats"
		for i := 0; i < 4; i++ {
			r := apis[i%len(apis)].call(t, "POST", path, nil).want(t, 201)
			if r.Header.Get("RateLimit-Limit") != "4" || r.Header.Get("RateLimit-Remaining") != fmt.Sprint(3-i) || r.Header.Get("RateLimit-Reset") == "" {
				t.Fatalf("create %d: rate headers %v", i+1, r.Header)
			}
		}
		r := apis[len(apis)-1].call(t, "POST", path, nil)
		r.wantError(t, 429, "rate_limited")
		if r.Header.Get("Retry-After") == "" || r.Header.Get("RateLimit-Remaining") != "0" {
			t.Fatalf("429 headers %v", r.Header)
		}
		apis[0].call(t, "POST", "/api/v1/chat_applications/"+other+"/chats", nil).want(t, 201) // another budget
		if r := apis[0].call(t, "GET", "/api/v1/chat_applications/"+tok, nil).want(t, 200); r.Header.Get("RateLimit-Limit") != "1000" {
			t.Fatalf("reads have a budget of their own: %v", r.Header)
		}
	}
	t.Run("embedded", func(t *testing.T) { check(t, []*stack{embeddedStack(t, limits)}) })
	t.Run("production, two api instances", func(t *testing.T) {
		check(t, apiInstances(t, loadConfig(t, productionEnv(t, limits)), 2))
	})
}

// A retry with its key on another api instance gets the first answer.
func TestIdempotencyAcrossAPIs(t *testing.T) {
	env := productionEnv(t, nil)
	apis := apiInstances(t, loadConfig(t, env), 2)
	apis[0].addWorker(env, "w0")
	idempotencySuite(t, apis)
}

// Every variable the service reads is in the README's configuration table.
func TestEveryVariableIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range bootstrap.Variables() {
		if !strings.Contains(string(readme), "`"+key+"`") {
			t.Errorf("%s is not in the README's configuration table", key)
		}
	}
}

// Every setting is listed by the -h of a command that reads it.
func TestEverySettingIsInACommandsHelp(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range []string{"api", "worker", "migrate", "reindex", "deadletters"} {
		for _, s := range bootstrap.Settings(c) {
			listed[s.Key] = true
		}
	}
	for _, key := range bootstrap.Variables() {
		if !listed[key] {
			t.Errorf("no command's -h lists %s", key)
		}
	}
}
