package webhook_test

import (
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/webhook"
)

// Positions compare as strings in the log's order, read back as the log
// wrote them, and the embedded profile's grow even when the clock does not.
func TestPositions(t *testing.T) {
	a, b := webhook.SortablePosition("999-12"), webhook.SortablePosition("1000-3")
	if a >= b || webhook.PlainPosition(a) != "999-12" || webhook.PlainPosition(webhook.SortablePosition("0-0")) != "0-0" {
		t.Fatalf("%s, %s", a, b)
	}
	at := time.UnixMilli(1000)
	next := webhook.NextPosition(a, at)
	if webhook.PlainPosition(next) != "1000-0" {
		t.Fatalf("after %s at 1000 ms: %s", a, next)
	}
	for _, want := range []string{"1000-1", "1000-2"} {
		next = webhook.NextPosition(next, time.UnixMilli(900)) // the clock went back
		if webhook.PlainPosition(next) != want {
			t.Fatalf("got %s, want %s", webhook.PlainPosition(next), want)
		}
	}
}
