package webhook

import (
	"context"
	"time"
)

// Prunable keeps the feed's events and the deliveries' log.
type Prunable interface {
	// Prune deletes up to batch of each made (events) or finished
	// (deliveries) before before, and says how many it deleted.
	Prune(ctx context.Context, before time.Time, batch int) (events, deliveries int, err error)
}

// PruneConfig: what is kept, and how gently the rest goes.
type PruneConfig struct {
	// Keep is how long the feed's events and the finished deliveries are
	// kept: a feed reader resumes, and a replay sends again, within it.
	Keep time.Duration
	// Batch is how many of each one delete takes at most; Pause is the
	// wait between two deletes, so that a large backlog goes slowly,
	// beside the writes, not in one long burst.
	Batch int
	Pause time.Duration
}

// Pruner removes what is past its keeping, in small paced batches.
type Pruner struct {
	cfg     PruneConfig
	store   Prunable
	now     func() time.Time
	removed func(kind string, n int)
}

// NewPruner: now is the clock; removed, when not nil, hears how many
// "events" and "deliveries" each batch removed.
func NewPruner(cfg PruneConfig, store Prunable, now func() time.Time, removed func(kind string, n int)) *Pruner {
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if removed == nil {
		removed = func(string, int) {}
	}
	return &Pruner{cfg: cfg, store: store, now: now, removed: removed}
}

// Once removes, batch after batch, everything past its keeping as of
// now, and returns how many of each it removed.
func (p *Pruner) Once(ctx context.Context) (events, deliveries int, err error) {
	before := p.now().Add(-p.cfg.Keep)
	for {
		e, d, err := p.store.Prune(ctx, before, p.cfg.Batch)
		events, deliveries = events+e, deliveries+d
		p.removed("events", e)
		p.removed("deliveries", d)
		if err != nil || e < p.cfg.Batch && d < p.cfg.Batch {
			return events, deliveries, err
		}
		select {
		case <-ctx.Done():
			return events, deliveries, ctx.Err()
		case <-time.After(p.cfg.Pause):
		}
	}
}
