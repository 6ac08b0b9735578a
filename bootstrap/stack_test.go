package bootstrap_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/internal/testenv"
)

// stack is a running service: an api (and, in production, workers) on
// loopback, as a client would meet it.
type stack struct {
	URL     string
	Config  bootstrap.Config
	workers []*fx.App
	t       *testing.T
}

func loadConfig(t *testing.T, env map[string]string) bootstrap.Config {
	t.Helper()
	cfg, err := bootstrap.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startApp(t *testing.T, opts ...fx.Option) *fx.App {
	t.Helper()
	app := fx.New(append(opts, fx.NopLogger)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = app.Stop(ctx)
	})
	return app
}

// baseEnv is the settings every test stack has, then each of layers over
// them in turn.
func baseEnv(layers ...map[string]string) map[string]string {
	env := map[string]string{
		"CHAT_HTTP_ADDR":              "127.0.0.1:0",
		"CHAT_WORKER_HTTP_ADDR":       "127.0.0.1:0",
		"CHAT_LOG_LEVEL":              "error",
		"CHAT_ADMIN_TOKEN":            "operator-secret",
		"CHAT_COUNTER_FLUSH_INTERVAL": "100ms",
	}
	for _, layer := range layers {
		maps.Copy(env, layer)
	}
	return env
}

// embeddedStack runs the embedded profile on a fresh data directory; opts
// go to its graph.
func embeddedStack(t *testing.T, extra map[string]string, opts ...fx.Option) *stack {
	env := baseEnv(extra)
	if env["CHAT_DATA_DIR"] == "" {
		env["CHAT_DATA_DIR"] = t.TempDir()
	}
	cfg := loadConfig(t, env)
	var srv *httpapi.Server
	startApp(t, append(opts, bootstrap.API(cfg), fx.Populate(&srv))...)
	return &stack{URL: "http://" + srv.Addr(), Config: cfg, t: t}
}

// productionEnv is a fresh MySQL database, the shared Redis, and stream
// names of this test's own.
func productionEnv(t *testing.T, extra map[string]string) map[string]string {
	osURL, alias := testenv.OpenSearchURL(t)
	return baseEnv(map[string]string{
		"CHAT_OPENSEARCH_URL":     osURL,
		"CHAT_OPENSEARCH_INDEX":   alias,
		"CHAT_OPENSEARCH_REFRESH": "wait_for",
		"CHAT_PROFILE":            "production",
		"CHAT_MYSQL_DSN":          testenv.MySQLDSN(t),
		"CHAT_REDIS_ADDR":         testenv.RedisAddr(t),
		"CHAT_STREAM_PREFIX":      "test." + testenv.Suffix(),
		"CHAT_STREAM_PARTITIONS":  "2",
		"CHAT_WORKER_CONCURRENCY": "8",
		"CHAT_STARTUP_ATTEMPTS":   "3",
	}, extra)
}

// productionStack runs one api and one worker on real MySQL and Redis.
// opts go to the api's graph.
func productionStack(t *testing.T, extra map[string]string, opts ...fx.Option) *stack {
	env := productionEnv(t, extra)
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	s.addWorker(env, "w0")
	var srv *httpapi.Server
	startApp(t, append(opts, bootstrap.API(cfg), fx.Populate(&srv))...)
	s.URL = "http://" + srv.Addr()
	return s
}

func (s *stack) addWorker(env map[string]string, name string) *fx.App {
	e := map[string]string{}
	for k, v := range env {
		e[k] = v
	}
	e["CHAT_CONSUMER_NAME"] = name
	app := startApp(s.t, bootstrap.Worker(loadConfig(s.t, e)))
	s.workers = append(s.workers, app)
	return app
}

// apiInstances starts n api instances of one configuration (no worker).
func apiInstances(t *testing.T, cfg bootstrap.Config, n int) []*stack {
	apis := make([]*stack, n)
	for i := range apis {
		var srv *httpapi.Server
		startApp(t, bootstrap.API(cfg), fx.Populate(&srv))
		apis[i] = &stack{URL: "http://" + srv.Addr(), Config: cfg, t: t}
	}
	return apis
}
