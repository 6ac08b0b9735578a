package bootstrap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatsvc/chat/bootstrap"
)

func TestConfigDefaultsToEmbedded(t *testing.T) {
	cfg := loadConfig(t, map[string]string{})
	if cfg.Profile != bootstrap.ProfileEmbedded || cfg.HTTP.Addr != ":8080" || cfg.DataDir != "./data" || cfg.HTTP.AdminToken != "" {
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
}

func TestConfigReadsSettings(t *testing.T) {
	cfg := loadConfig(t, map[string]string{"CHAT_PROFILE": "production", "CHAT_MYSQL_DSN": "u:p@tcp(h:3306)/d",
		"CHAT_REDIS_ADDR": "r:6379", "CHAT_OPENSEARCH_URL": "http://o:9200", "CHAT_CLAIM_IDLE": "90s", "CHAT_WORKER_CONCURRENCY": "7"})
	if cfg.Stream.Redis.ClaimIdle != 90*time.Second || cfg.Worker.Consumer.Concurrency != 7 || cfg.OpenSearch.URL != "http://o:9200" {
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
