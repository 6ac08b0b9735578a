package decorator

import (
	"context"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// TallyAppends records in tally every write q acknowledges, before the
// answer: a client that has its answer finds the write in every unread
// count. The write is queued (durably) whatever the tally says, so a
// failure to record is reported to failed and the write answered all the
// same: the worker records it again once it is persisted (TallyPersisted).
func TallyAppends(q ports.EventQueue, tally ports.ChatTally, failed func(error)) ports.EventQueue {
	return tallyingQueue{q, tally, failed}
}

type tallyingQueue struct {
	ports.EventQueue
	tally  ports.ChatTally
	failed func(error)
}

func (q tallyingQueue) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	ev, replayed, err := q.EventQueue.Append(ctx, draft, idem)
	if err == nil {
		if terr := q.tally.Record(ctx, []domain.Event{ev}, !replayed); terr != nil {
			q.failed(terr)
		}
	}
	return ev, replayed, err
}

// TallyPersisted records in tally every event p applies: what was
// acknowledged while the tally could not be written (Redis down: the
// degraded path), or recorded in a tally Redis lost since, is counted once
// persisted. Recording twice changes nothing.
func TallyPersisted(p ports.Projection, tally ports.ChatTally, failed func(error)) ports.Projection {
	return tallyingProjection{p, tally, failed}
}

type tallyingProjection struct {
	ports.Projection
	tally  ports.ChatTally
	failed func(error)
}

func (p tallyingProjection) ApplyEvents(ctx context.Context, events []domain.Event) (domain.Touched, error) {
	touched, err := p.Projection.ApplyEvents(ctx, events)
	if err == nil {
		if terr := p.tally.Record(ctx, events, false); terr != nil {
			p.failed(terr)
		}
	}
	return touched, err
}
