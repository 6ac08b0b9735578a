package application

import (
	"context"
	"sync"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Projector is the worker's use case: it applies queued events to the system
// of record and keeps chats_count and messages_count converging to the rows.
//
// Counters are not bumped per event. Each applied batch marks its
// applications and chats dirty; FlushCounts recomputes just those (exactly)
// every few seconds; Reconcile sweeps everything, much less often, to repair
// whatever a crash between the two left behind. That keeps the hot path to
// one transaction per batch and application, and makes counts exact once
// writes stop.
type Projector struct {
	projection ports.Projection
	counters   ports.Counters
	cache      ports.ReadCache
	members    ports.MemberCache

	mu    sync.Mutex
	dirty domain.Touched
}

// NewProjector: cache is the api's read cache, whose entries about a chat
// the projector drops once the chat's changes are committed; members is the
// api's member cache, which forgets a new chat's creator once the chat's
// event may have set it up (the api's own record of it may have failed
// after a read kept the creator as no member).
func NewProjector(projection ports.Projection, counters ports.Counters, cache ports.ReadCache, members ports.MemberCache) *Projector {
	return &Projector{projection: projection, counters: counters, cache: cache, members: members}
}

// Apply writes a batch of events; applying it again changes nothing. It
// returns once what the api caches about the chats it changed is dropped:
// an error there fails the batch, to be applied (idempotently) and dropped
// again, so that no cached read outlives a change for long.
func (p *Projector) Apply(ctx context.Context, events []domain.Event) error {
	touched, err := p.projection.ApplyEvents(ctx, events)
	if err != nil {
		// Some applications' parts may be committed: what is cached about
		// the batch's chats goes all the same (for the others, a miss).
		_ = p.cache.Invalidate(ctx, domain.ChatsOf(events))
		return err
	}
	return p.Committed(ctx, events, touched)
}

// Committed records what a batch written elsewhere (the embedded queue's
// group commit) touched, for the next FlushCounts, and drops what is cached
// about its chats.
func (p *Projector) Committed(ctx context.Context, events []domain.Event, touched domain.Touched) error {
	p.mu.Lock()
	p.dirty.Merge(touched)
	p.mu.Unlock()
	for _, e := range events {
		c, ok := e.(domain.ChatCreated)
		if !ok {
			continue
		}
		if c.Visibility != "" { // never changed after the creation: kept as it is
			if err := p.members.StoreVisibility(ctx, c.Token, c.Number, c.Visibility); err != nil {
				return err
			}
		}
		if c.Creator != "" { // maybe removed since: the store says
			if err := p.members.Forget(ctx, c.Token, c.Number, c.Creator); err != nil {
				return err
			}
		}
	}
	return p.cache.Invalidate(ctx, domain.ChatsOf(events))
}

// FlushCounts recomputes the counters of everything applied since the last
// flush. On failure the dirty set is kept for the next try.
func (p *Projector) FlushCounts(ctx context.Context) error {
	p.mu.Lock()
	dirty := p.dirty
	p.dirty = domain.Touched{}
	p.mu.Unlock()
	if dirty.Empty() {
		return nil
	}
	if err := p.counters.RefreshCounts(ctx, dirty); err != nil {
		p.mu.Lock()
		p.dirty.Merge(dirty)
		p.mu.Unlock()
		return err
	}
	// The chats' counts changed: their cached reads go. (The reconcile's
	// rare repairs are left to the cache's time to live.)
	chats := make([]domain.ChatKey, 0, len(dirty.Chats))
	for k := range dirty.Chats {
		chats = append(chats, k)
	}
	return p.cache.Invalidate(ctx, chats)
}

// Reconcile fixes every counter that drifted from its rows.
func (p *Projector) Reconcile(ctx context.Context) (int, error) {
	return p.counters.ReconcileCounts(ctx)
}

// RunCounters flushes every flushEvery and reconciles every reconcileEvery
// (and once at start) until ctx ends, then flushes one last time. onErr hears
// failures, which are retried at the next tick.
func (p *Projector) RunCounters(ctx context.Context, flushEvery, reconcileEvery time.Duration, onErr func(error), onFixed func(int)) {
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	reconcile := time.NewTicker(reconcileEvery)
	defer reconcile.Stop()
	runReconcile := func() {
		if n, err := p.Reconcile(ctx); err != nil && ctx.Err() == nil {
			onErr(err)
		} else if n > 0 {
			onFixed(n)
		}
	}
	runReconcile()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := p.FlushCounts(final); err != nil {
				onErr(err)
			}
			cancel()
			return
		case <-flush.C:
			if err := p.FlushCounts(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		case <-reconcile.C:
			runReconcile()
		}
	}
}
