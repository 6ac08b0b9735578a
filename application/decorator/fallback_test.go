package decorator_test

import (
	"context"
	"errors"
	"testing"

	"github.com/chatsvc/chat/application/decorator"
	"github.com/chatsvc/chat/domain"
)

// queue answers with err, and counts its appends.
type queue struct {
	err   error
	calls int
}

func (q *queue) Append(_ context.Context, draft domain.Event, _ domain.Idempotency) (domain.Event, bool, error) {
	q.calls++
	return draft, false, q.err
}

// The write that finds the dependency down answers its error (its event may
// be queued all the same), the next ones go to the degraded queue, another
// dependency's failure switches nothing, and Recover goes back only once the
// probe and the drain succeed.
func TestFallbackSwitchesOnItsDependencyOnly(t *testing.T) {
	ctx := context.Background()
	fast, degraded := &queue{}, &queue{}
	var switches []bool
	f := decorator.NewFallback(fast, degraded, "redis", func(on bool) { switches = append(switches, on) })
	draft := domain.ChatCreated{Token: domain.NewToken()}

	fast.err = domain.Unavailable("database", errors.New("down"))
	if _, _, err := f.Append(ctx, draft, domain.Idempotency{}); err == nil || f.Degraded() {
		t.Fatalf("another dependency's failure: %v, degraded %v", err, f.Degraded())
	}
	fast.err = domain.Unavailable("redis", errors.New("connection refused"))
	if _, _, err := f.Append(ctx, draft, domain.Idempotency{}); err == nil || !f.Degraded() {
		t.Fatalf("the write that found Redis down: %v, degraded %v", err, f.Degraded())
	}
	if _, _, err := f.Append(ctx, draft, domain.Idempotency{}); err != nil || degraded.calls != 1 || fast.calls != 2 {
		t.Fatalf("a write while degraded: %v; fast %d, degraded %d appends", err, fast.calls, degraded.calls)
	}
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("still down") }
	if err := f.Recover(ctx, down, ok); err == nil || !f.Degraded() {
		t.Fatal("recovered although the probe failed")
	}
	if err := f.Recover(ctx, ok, down); err == nil || !f.Degraded() {
		t.Fatal("recovered although the drain failed")
	}
	fast.err = nil
	if err := f.Recover(ctx, ok, ok); err != nil || f.Degraded() {
		t.Fatalf("recover: %v, degraded %v", err, f.Degraded())
	}
	if _, _, err := f.Append(ctx, draft, domain.Idempotency{}); err != nil || fast.calls != 3 || degraded.calls != 1 {
		t.Fatalf("a write after recovering: %v; fast %d, degraded %d", err, fast.calls, degraded.calls)
	}
	if len(switches) != 2 || !switches[0] || switches[1] {
		t.Fatalf("switches heard: %v", switches)
	}
}
