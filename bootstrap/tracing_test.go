package bootstrap_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/bootstrap"
)

// One request, one trace: a create that sends a W3C traceparent gets a
// server span in the client's trace, and the worker's persist and index
// spans of its event join that trace as the server span's children, named
// by the request id. No span names a token.
func TestOneRequestOneTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	// And one grep: at debug level, the api's access line and the worker's
	// line for the event both name the request.
	core, logs := observer.New(zap.DebugLevel)
	traced := fx.Options(
		fx.Decorate(func(trace.TracerProvider) trace.TracerProvider { return tp }),
		fx.Decorate(func(*zap.Logger) *zap.Logger { return zap.New(core) }),
	)

	env := productionEnv(t, nil)
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	worker := map[string]string{"CHAT_CONSUMER_NAME": "traced"}
	for k, v := range env {
		worker[k] = v
	}
	var ops *httpapi.Server
	startApp(t, bootstrap.Worker(loadConfig(t, worker)), traced, fx.Populate(&ops))
	var srv *httpapi.Server
	startApp(t, bootstrap.API(cfg), traced, fx.Populate(&srv))
	s.URL = "http://" + srv.Addr()

	tok := newApplication(t, s, "traced")
	app := "/api/v1/chat_applications/" + tok
	const (
		chatTrace   = "4bf92f3577b34da6a3ce929d0e0e4736"
		msgTrace    = "5ce0a2a1d2e34c8f9a1b2c3d4e5f6071"
		clientSpan  = "00f067aa0ba902b7"
		chatRequest = "trace-chat"
	)
	s.call(t, "POST", app+"/chats", nil, "traceparent", "00-"+chatTrace+"-"+clientSpan+"-01", "X-Request-Id", chatRequest).want(t, 201)
	s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": "follow me"}, "traceparent", "00-"+msgTrace+"-"+clientSpan+"-01").want(t, 201)

	find := func(traceID, name string) (sdktrace.ReadOnlySpan, bool) {
		for _, sp := range exp.GetSpans().Snapshots() {
			if sp.SpanContext().TraceID().String() == traceID && sp.Name() == name {
				return sp, true
			}
		}
		return nil, false
	}
	eventually(t, "the worker's spans joined both traces", func() bool {
		_, a := find(chatTrace, "persist chat.created")
		_, b := find(msgTrace, "persist message.created")
		_, c := find(msgTrace, "index message.created")
		return a && b && c
	})

	grep := map[string]bool{}
	for _, e := range logs.FilterField(zap.String("request_id", chatRequest)).All() {
		grep[e.Message] = true
	}
	if !grep["request"] || !grep["event applied"] {
		t.Fatalf("grep %s finds %v, want the api's request line and the worker's event line", chatRequest, grep)
	}

	server, ok := find(chatTrace, "POST /api/v1/chat_applications/:token/chats")
	if !ok {
		t.Fatalf("no server span in the client's trace; spans: %v", names(exp))
	}
	if server.Parent().SpanID().String() != clientSpan || server.SpanKind() != trace.SpanKindServer {
		t.Fatalf("server span's parent %s kind %v, want the client's span %s", server.Parent().SpanID(), server.SpanKind(), clientSpan)
	}
	persist, _ := find(chatTrace, "persist chat.created")
	if persist.Parent().SpanID() != server.SpanContext().SpanID() || persist.SpanKind() != trace.SpanKindConsumer {
		t.Fatalf("persist span's parent %s, want the server span %s", persist.Parent().SpanID(), server.SpanContext().SpanID())
	}
	if attr(persist, "request_id") != chatRequest || attr(server, "request_id") != chatRequest || attr(persist, "chat.number") != "1" {
		t.Fatalf("spans do not name the request: server %v persist %v", server.Attributes(), persist.Attributes())
	}
	msgServer, ok := find(msgTrace, "POST /api/v1/chat_applications/:token/chats/:chat/messages")
	index, _ := find(msgTrace, "index message.created")
	if !ok || index.Parent().SpanID() != msgServer.SpanContext().SpanID() || attr(index, "message.number") != "1" {
		t.Fatalf("index span not the message request's child: %v", names(exp))
	}
	// The worker's apply lag has the traces as exemplars, for an
	// OpenMetrics scrape (Prometheus with exemplar storage).
	req, _ := http.NewRequest("GET", "http://"+ops.Addr()+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	exemplars := 0
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "chat_event_apply_lag_seconds_bucket") &&
			(strings.Contains(line, `# {trace_id="`+chatTrace+`"}`) || strings.Contains(line, `# {trace_id="`+msgTrace+`"}`)) {
			exemplars++
		}
	}
	if exemplars == 0 {
		t.Fatalf("no apply-lag exemplar names the traces; metrics:\n%s", body)
	}

	for _, sp := range exp.GetSpans().Snapshots() {
		for _, kv := range sp.Attributes() {
			if strings.Contains(kv.Value.String(), tok) {
				t.Fatalf("span %q attribute %s carries the application token", sp.Name(), kv.Key)
			}
		}
		if strings.Contains(sp.Name(), tok) {
			t.Fatalf("span name %q carries the application token", sp.Name())
		}
	}
}

func attr(sp sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range sp.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

func names(exp *tracetest.InMemoryExporter) []string {
	var out []string
	for _, sp := range exp.GetSpans().Snapshots() {
		out = append(out, sp.SpanContext().TraceID().String()[:6]+" "+sp.Name())
	}
	return out
}
