package embedded

import (
	"context"
	"errors"
	"sync"

	"github.com/chatsvc/chat/domain"
)

// ApplyFunc commits, in one transaction, the rows of the events that
// allocate numbers inside that same transaction (entstore.ApplyAllocated).
type ApplyFunc func(ctx context.Context, allocate func(ctx context.Context, tx Tx) ([]domain.Event, error)) (domain.Touched, error)

// Committed hears every committed batch (after its creates were answered):
// the search index and the counters follow from it.
type Committed func(events []domain.Event, touched domain.Touched)

// Queue is the embedded profile's ports.EventQueue. A create is answered
// once its row is durably in SQLite, which is what 201 promises; the search
// index follows in the background (it is derived, and repaired from SQLite
// at every start). Creates that arrive together share one transaction and
// one sync (group commit): one writer takes whatever is waiting, numbers
// every draft, writes every row and commits, while the next group gathers.
type Queue struct {
	seq       *Sequencer
	apply     ApplyFunc
	committed Committed
	maxBatch  int
	in        chan request
	stop      chan struct{}
	done      chan struct{}
	once      sync.Once
}

type request struct {
	ctx   context.Context
	draft domain.Event
	reply chan result
}

type result struct {
	ev  domain.Event
	err error
}

// NewQueue starts the writer; Close stops it.
func NewQueue(seq *Sequencer, apply ApplyFunc, committed Committed, maxBatch int) *Queue {
	q := &Queue{seq: seq, apply: apply, committed: committed, maxBatch: max(maxBatch, 1),
		in: make(chan request), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

var errClosed = domain.Unavailable("database", errors.New("the embedded queue is closed"))

// Append numbers the draft and persists it; it returns once committed.
func (q *Queue) Append(ctx context.Context, draft domain.Event) (domain.Event, error) {
	r := request{ctx: ctx, draft: draft, reply: make(chan result, 1)}
	select {
	case q.in <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-q.stop:
		return nil, errClosed
	}
	// Once handed over the outcome always comes: a transaction is not
	// abandoned halfway because one of its callers went away.
	res := <-r.reply
	return res.ev, res.err
}

// Close lets the group being written finish, then stops.
func (q *Queue) Close() {
	q.once.Do(func() { close(q.stop) })
	<-q.done
}

func (q *Queue) run() {
	defer close(q.done)
	batch := make([]request, 0, q.maxBatch)
	for {
		select {
		case r := <-q.in:
			batch = append(batch[:0], r)
		case <-q.stop:
			return
		}
	gather:
		for len(batch) < q.maxBatch {
			select {
			case r := <-q.in:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		q.write(batch)
	}
}

// write commits one group. A draft the sequencer refuses (an unknown chat or
// message) is answered alone; if the transaction fails as a whole, each
// draft is tried again by itself, so that one cannot fail the others.
func (q *Queue) write(batch []request) {
	results := make([]result, len(batch))
	events, touched, err := q.commit(batch, results)
	if err != nil && len(batch) > 1 {
		for i := range batch {
			q.write(batch[i : i+1])
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			results[i] = result{err: err}
		}
		r.reply <- results[i]
	}
	if err == nil && len(events) > 0 {
		q.committed(events, touched)
	}
}

func (q *Queue) commit(batch []request, results []result) ([]domain.Event, domain.Touched, error) {
	var events []domain.Event
	// The group's context: answers are owed to every caller in it.
	ctx := context.WithoutCancel(batch[0].ctx)
	touched, err := q.apply(ctx, func(ctx context.Context, tx Tx) ([]domain.Event, error) {
		events = events[:0]
		for i, r := range batch {
			if r.ctx.Err() != nil {
				results[i] = result{err: r.ctx.Err()} // gone before its number was taken
				continue
			}
			ev, err := q.seq.Allocate(ctx, tx, r.draft)
			if errors.Is(err, domain.ErrNotFound) {
				results[i] = result{err: err}
				continue
			}
			if err != nil {
				return nil, err
			}
			results[i] = result{ev: ev}
			events = append(events, ev)
		}
		return events, nil
	})
	return events, touched, dbErr(err)
}
