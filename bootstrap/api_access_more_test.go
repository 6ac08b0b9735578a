package bootstrap_test

import (
	"fmt"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/chatsvc/chat/internal/testenv"
)

// Switching, rotating, and the ETag: what the suite runs on each profile
// besides the matrices.
func accessChangesCases(t *testing.T, s *stack) {
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Switch"}).want(t, 201)
	tok, secret := r.str("token"), r.str("secret")
	app := "/api/v1/chat_applications/" + tok
	if got := s.call(t, "GET", app, nil).want(t, 200); got.str("access") != "open" || got.str("secret") != "" {
		t.Fatalf("read back %s: open, and never the secret", got.Raw)
	}
	s.call(t, "PATCH", app, map[string]any{"access": "closed"}).wantError(t, 422, "validation_failed")
	s.call(t, "PATCH", app, map[string]any{"access": 1}).wantError(t, 400, "bad_request")
	// The switch, with a rename; the path token alone still does it while open.
	r = s.call(t, "PATCH", app, map[string]any{"access": "protected", "name": "Switched"}).want(t, 200)
	if r.str("access") != "protected" || r.str("name") != "Switched" {
		t.Fatalf("after the switch %s", r.Raw)
	}
	// An ETag the client holds is no credential.
	etag := s.call(t, "GET", app, nil, bearerHeader(secret)...).want(t, 200).Header.Get("ETag")
	s.call(t, "GET", app, nil, "If-None-Match", etag).wantError(t, 401, "unauthorized")
	s.call(t, "GET", app, nil, "If-None-Match", etag, "Authorization", "Bearer "+secret).want(t, 304)
	// Once protected, every change needs the secret, switching back included.
	s.call(t, "PATCH", app, map[string]any{"access": "open"}).wantError(t, 401, "unauthorized")
	s.call(t, "POST", app+"/secrets", nil).wantError(t, 401, "unauthorized")
	s.call(t, "PUT", app, map[string]any{"chat_application": map[string]any{"access": "open"}}, bearerHeader(secret)...).want(t, 200)
	s.call(t, "GET", app, nil).want(t, 200)

	// Rotation: the new secret and the previous one both work, until the
	// previous one is revoked; a rotation ends an earlier previous at once.
	s.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(secret)...).want(t, 200)
	second := s.call(t, "POST", app+"/secrets", nil, bearerHeader(secret)...).want(t, 201)
	if sortedKeys(second.Body) != "secret" || second.str("secret") == secret {
		t.Fatalf("rotation answered %s", second.Raw)
	}
	for _, k := range []string{secret, second.str("secret")} {
		s.call(t, "GET", app, nil, bearerHeader(k)...).want(t, 200)
	}
	third := s.call(t, "POST", app+"/secrets", nil, bearerHeader(secret)...).want(t, 201).str("secret") // the previous may rotate
	s.call(t, "GET", app, nil, bearerHeader(secret)...).wantError(t, 401, "unauthorized")
	s.call(t, "GET", app, nil, bearerHeader(second.str("secret"))...).want(t, 200)
	s.call(t, "DELETE", app+"/secrets/previous", nil, bearerHeader(third)...).want(t, 204)
	s.call(t, "GET", app, nil, bearerHeader(second.str("secret"))...).wantError(t, 401, "unauthorized")
	s.call(t, "GET", app, nil, bearerHeader(third)...).want(t, 200)
	s.call(t, "DELETE", app+"/secrets/previous", nil, bearerHeader(third)...).want(t, 204) // again: nothing more happens

	// The secret is shown once: not by a retry of the creation.
	key := []string{"Idempotency-Key", "access-" + testenv.Suffix()}
	first := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Once"}, key...).want(t, 201)
	again := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Once"}, key...).want(t, 201)
	if first.str("secret") == "" || again.str("secret") != "" || again.str("token") != first.str("token") {
		t.Fatalf("created %s, retried %s", first.Raw, again.Raw)
	}
	// Unknown applications stay 404, with or without a credential.
	s.call(t, "POST", "/api/v1/chat_applications/AAAAAAAAAAAAAAAAAAAAAAAA/secrets", nil).wantError(t, 404, "not_found")
	s.call(t, "DELETE", "/api/v1/chat_applications/AAAAAAAAAAAAAAAAAAAAAAAA/secrets/previous", nil, bearerHeader(third)...).wantError(t, 404, "not_found")
}

// A change made through one api instance holds on the other from the
// moment it is acknowledged, though the other holds the application's
// access in its memory.
func TestAccessAcrossAPIs(t *testing.T) {
	env := productionEnv(t, nil)
	apis := apiInstances(t, loadConfig(t, env), 2)
	apis[0].addWorker(env, "w0")
	a, b := apis[0], apis[1]
	r := a.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Two"}).want(t, 201)
	app, first := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	for range 2 { // the second is answered from b's memory
		b.call(t, "GET", app, nil).want(t, 200)
		b.call(t, "GET", app, nil, bearerHeader(first)...).want(t, 200)
	}
	a.call(t, "PATCH", app, map[string]any{"access": "protected"}).want(t, 200)
	b.call(t, "GET", app, nil).wantError(t, 401, "unauthorized")
	second := a.call(t, "POST", app+"/secrets", nil, bearerHeader(first)...).want(t, 201).str("secret")
	b.call(t, "GET", app, nil, bearerHeader(second)...).want(t, 200)
	b.call(t, "GET", app, nil, bearerHeader(first)...).want(t, 200) // within its grace
	a.call(t, "DELETE", app+"/secrets/previous", nil, bearerHeader(second)...).want(t, 204)
	b.call(t, "GET", app, nil, bearerHeader(first)...).wantError(t, 401, "unauthorized")
	b.call(t, "PATCH", app, map[string]any{"access": "open"}, bearerHeader(second)...).want(t, 200)
	a.call(t, "GET", app, nil).want(t, 200)
}

// The previous secret works for CHAT_SECRET_GRACE, then no more.
func TestSecretGraceEnds(t *testing.T) {
	s := embeddedStack(t, map[string]string{"CHAT_SECRET_GRACE": "3s"})
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Grace"}).want(t, 201)
	app, first := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	second := s.call(t, "POST", app+"/secrets", nil).want(t, 201).str("secret")
	s.call(t, "GET", app, nil, bearerHeader(first)...).want(t, 200)
	eventually(t, "the grace period ends", func() bool {
		return s.call(t, "GET", app, nil, bearerHeader(first)...).Status == 401
	})
	s.call(t, "GET", app, nil, bearerHeader(second)...).want(t, 200)
}

// Secrets never reach a log line or a span: the access log at debug level
// and the spans of requests that send them, right and wrong, and of the
// answers that show them.
func TestSecretsLeaveNoTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	core, logs := observer.New(zap.DebugLevel)
	s := embeddedStack(t, nil,
		fx.Decorate(func(trace.TracerProvider) trace.TracerProvider { return tp }),
		fx.Decorate(func(*zap.Logger) *zap.Logger { return zap.New(core) }))
	r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Quiet"}).want(t, 201)
	app, first := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	second := s.call(t, "POST", app+"/secrets", nil, bearerHeader(first)...).want(t, 201).str("secret")
	s.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(second)...).want(t, 200)
	s.call(t, "GET", app, nil, bearerHeader(second)...).want(t, 200)
	s.call(t, "GET", app, nil, bearerHeader(second+"x")...).wantError(t, 401, "unauthorized")
	s.call(t, "GET", app+"/chats/1", nil, "Authorization", "Basic "+second).wantError(t, 401, "unauthorized")

	if logs.FilterMessage("request").Len() == 0 {
		t.Fatal("no access log line was captured: the test would prove nothing")
	}
	for _, e := range logs.All() {
		line := fmt.Sprint(e.Message, e.ContextMap())
		for _, secret := range []string{first, second} {
			if strings.Contains(line, secret[3:]) {
				t.Fatalf("a log line holds a secret: %s", line)
			}
		}
	}
	spans := exp.GetSpans().Snapshots()
	if len(spans) == 0 {
		t.Fatal("no span was captured")
	}
	for _, sp := range spans {
		line := fmt.Sprint(sp.Name(), sp.Attributes(), sp.Events())
		for _, secret := range []string{first, second} {
			if strings.Contains(line, secret[3:]) {
				t.Fatalf("a span holds a secret: %s", line)
			}
		}
	}
}
