package stream

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// A template's metadata, with or without a request id of any length the
// msgpack string forms cover, reads back through Watermill's unmarshaller.
func TestTemplateCarriesTheRequestID(t *testing.T) {
	ev := domain.MessageCreated{Token: domain.NewToken(), Chat: 3, Body: "hi", CreatedAt: time.Now()}
	for _, id := range []string{"", "a", strings.Repeat("b", 31), strings.Repeat("c", 32), strings.Repeat("d", 255), strings.Repeat("e", 256), strings.Repeat("f", 1000)} {
		entry, err := Template(ports.WithRequestID(context.Background(), id), ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(id) > ports.MaxRequestIDLen { // not carried; the encoding still holds
			entry.Metadata = withEntry(entry.Metadata, RequestIDKey, id)
		}
		msg, err := redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(map[string]any{
			"_watermill_message_uuid": entry.UUID,
			"payload":                 `{"number":7,` + entry.Rest,
			"metadata":                entry.Metadata,
		})
		if err != nil {
			t.Fatalf("id of %d bytes: %v", len(id), err)
		}
		if got := msg.Metadata.Get(RequestIDKey); got != id {
			t.Fatalf("request id %q, want %q", got, id)
		}
		if got := msg.Metadata.Get(typeKey); got != "message.created" {
			t.Fatalf("event type %q after adding a request id of %d bytes", got, len(id))
		}
		if n := len(msg.Metadata); (id == "" && n != 1) || (id != "" && n != 2) {
			t.Fatalf("metadata %v", msg.Metadata)
		}
		if _, err := Decode(msg); err != nil {
			t.Fatal(err)
		}
	}
}

// An applied event's lag observation names its trace when sampled, else its
// request id when that fits an exemplar, else nothing.
func TestExemplar(t *testing.T) {
	msg := message.NewMessage("m", nil)
	if got := exemplar(context.Background(), msg); got != nil {
		t.Fatalf("no request: %v", got)
	}
	msg.Metadata.Set(RequestIDKey, "req-1")
	if got := exemplar(context.Background(), msg); got["request_id"] != "req-1" || len(got) != 1 {
		t.Fatalf("request id: %v", got)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	if got := exemplar(trace.ContextWithSpanContext(context.Background(), sc), msg); got["trace_id"] != sc.TraceID().String() || len(got) != 1 {
		t.Fatalf("traced: %v", got)
	}
	msg.Metadata.Set(RequestIDKey, strings.Repeat("r", ports.MaxRequestIDLen))
	if got := exemplar(context.Background(), msg); got != nil {
		t.Fatalf("an id too long for an exemplar: %v", got)
	}
}
