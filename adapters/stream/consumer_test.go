package stream

import (
	"context"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/ports"
)

// An applied event's lag observation names its trace when sampled, else its
// request id when that fits an exemplar, else nothing.
func TestExemplar(t *testing.T) {
	msg := message.NewMessage("m", nil)
	if got := exemplar(context.Background(), msg); got != nil {
		t.Fatalf("no request: %v", got)
	}
	msg.Metadata.Set(eventwire.RequestIDKey, "req-1")
	if got := exemplar(context.Background(), msg); got["request_id"] != "req-1" || len(got) != 1 {
		t.Fatalf("request id: %v", got)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	if got := exemplar(trace.ContextWithSpanContext(context.Background(), sc), msg); got["trace_id"] != sc.TraceID().String() || len(got) != 1 {
		t.Fatalf("traced: %v", got)
	}
	msg.Metadata.Set(eventwire.RequestIDKey, strings.Repeat("r", ports.MaxRequestIDLen))
	if got := exemplar(context.Background(), msg); got != nil {
		t.Fatalf("an id too long for an exemplar: %v", got)
	}
}
