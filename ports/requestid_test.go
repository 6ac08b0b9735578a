package ports_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chatsvc/chat/ports"
)

// Only a bounded, printable request id travels with an event.
func TestWithRequestID(t *testing.T) {
	ctx := context.Background()
	if got := ports.RequestID(ctx); got != "" {
		t.Fatalf("no id: %q", got)
	}
	for id, want := range map[string]string{
		"2f1c-a9":                "2f1c-a9",
		strings.Repeat("x", 128): strings.Repeat("x", 128),
		strings.Repeat("x", 129): "",
		"":                       "",
		"has space":              "",
		"ctl\x00":                "",
		"é":                      "",
		"line\nbreak":            "",
	} {
		if got := ports.RequestID(ports.WithRequestID(ctx, id)); got != want {
			t.Errorf("WithRequestID(%q) carries %q, want %q", id, got, want)
		}
	}
}
