package decorator

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Fallback sends writes to the fast queue while its dependency answers, and
// to the degraded queue from the moment it does not, until Recover brings
// the instance back. The write that finds the dependency down is answered
// with its error (503): its event may have been queued all the same, and
// writing it again on the degraded path would write it twice.
type Fallback struct {
	fast, degraded ports.EventQueue
	dependency     string
	changed        func(degraded bool)

	// Degraded writes hold it shared; Recover holds it alone, so that the
	// instance's own degraded writes all reach the log before its next
	// fast one.
	mu   sync.RWMutex
	down atomic.Bool
}

// NewFallback falls back when fast fails with domain.Unavailable(dependency);
// changed (may be nil) hears every switch.
func NewFallback(fast, degraded ports.EventQueue, dependency string, changed func(degraded bool)) *Fallback {
	if changed == nil {
		changed = func(bool) {}
	}
	return &Fallback{fast: fast, degraded: degraded, dependency: dependency, changed: changed}
}

func (f *Fallback) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	if !f.down.Load() {
		ev, replayed, err := f.fast.Append(ctx, draft, idem)
		var ue *domain.UnavailableError
		if errors.As(err, &ue) && ue.Dependency == f.dependency && f.down.CompareAndSwap(false, true) {
			f.changed(true)
		}
		return ev, replayed, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if !f.down.Load() {
		return f.fast.Append(ctx, draft, idem)
	}
	return f.degraded.Append(ctx, draft, idem)
}

// Degraded tells whether writes go to the degraded queue.
func (f *Fallback) Degraded() bool { return f.down.Load() }

// Recover goes back to the fast queue once probe says its dependency
// answers and drain succeeds (what the degraded path kept is relayed).
// Writes wait while drain runs, so that every degraded write of the
// instance reaches the log before its next fast one: drain should be
// bounded by ctx.
func (f *Fallback) Recover(ctx context.Context, probe, drain func(ctx context.Context) error) error {
	if !f.down.Load() {
		return nil
	}
	if err := probe(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := drain(ctx); err != nil {
		return err
	}
	if f.down.CompareAndSwap(true, false) {
		f.changed(false)
	}
	return nil
}
