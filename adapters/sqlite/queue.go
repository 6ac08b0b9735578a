package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/domain"
)

// ApplyFunc commits, in one transaction, the rows of the events that
// allocate numbers inside that same transaction: entstore.Store's
// ApplyAllocated.
type ApplyFunc func(ctx context.Context, allocate func(ctx context.Context, tx entstore.SQLTx) ([]domain.Event, error)) (domain.Touched, error)

// Committed hears every committed batch, before its writers are answered:
// the read cache, the search index and the counters follow from it.
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
	started   sync.Once
}

type request struct {
	ctx   context.Context
	draft domain.Event
	idem  domain.Idempotency
	reply chan result
}

type result struct {
	ev       domain.Event
	replayed bool
	err      error
}

// NewQueue makes the queue: Start starts its writer, Close stops it.
func NewQueue(seq *Sequencer, apply ApplyFunc, committed Committed, maxBatch int) *Queue {
	return &Queue{seq: seq, apply: apply, committed: committed, maxBatch: max(maxBatch, 1),
		in: make(chan request), stop: make(chan struct{}), done: make(chan struct{})}
}

// Start starts the writer; appends wait for it.
func (q *Queue) Start() { q.started.Do(func() { go q.run() }) }

var errClosed = domain.Unavailable("database", errors.New("the embedded queue is closed"))

// Append numbers the draft and persists it; it returns once committed. An
// idempotency key is recorded in the same transaction; a retry gets the
// event first stored.
func (q *Queue) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	r := request{ctx: ctx, draft: draft, idem: idem, reply: make(chan result, 1)}
	select {
	case q.in <- r:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-q.stop:
		return nil, false, errClosed
	}
	// Once handed over the outcome always comes: a transaction is not
	// abandoned halfway because one of its callers went away.
	res := <-r.reply
	return res.ev, res.replayed, res.err
}

// Close lets the group being written finish, then stops.
func (q *Queue) Close() {
	q.once.Do(func() { close(q.stop) })
	q.started.Do(func() { close(q.done) }) // never started: no writer to wait for
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
	// Before the answers: a client that reads what it just wrote must not
	// get what the read cache held before.
	if err == nil && len(events) > 0 {
		q.committed(events, touched)
	}
	for i, r := range batch {
		if err != nil {
			results[i] = result{err: err}
		}
		r.reply <- results[i]
	}
}

func (q *Queue) commit(batch []request, results []result) ([]domain.Event, domain.Touched, error) {
	var events []domain.Event
	// The group's context: answers are owed to every caller in it.
	ctx := context.WithoutCancel(batch[0].ctx)
	touched, err := q.apply(ctx, func(ctx context.Context, tx entstore.SQLTx) ([]domain.Event, error) {
		events = events[:0]
		alloc := q.seq.Begin()
		for i, r := range batch {
			if r.ctx.Err() != nil {
				results[i] = result{err: r.ctx.Err()} // gone before its number was taken
				continue
			}
			if r.idem.Key != "" {
				ev, seen, err := replay(ctx, tx, r.draft, r.idem)
				if err != nil && !errors.Is(err, domain.ErrIdempotencyKeyReused) {
					return nil, err
				}
				if seen || err != nil {
					results[i] = result{ev: ev, replayed: seen, err: err}
					continue
				}
			}
			ev, err := alloc.Allocate(ctx, tx, r.draft)
			if errors.Is(err, domain.ErrNotFound) {
				results[i] = result{err: err}
				continue
			}
			if err != nil {
				return nil, err
			}
			if r.idem.Key != "" {
				if err := record(ctx, tx, ev, r.idem); err != nil {
					return nil, err
				}
			}
			results[i] = result{ev: ev}
			events = append(events, ev)
		}
		return events, nil
	})
	return events, touched, dbErr(err)
}

// replay finds the event an idempotency key was first recorded with.
func replay(ctx context.Context, tx entstore.SQLTx, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	var fp string
	var n, at int64
	err := queryRow(ctx, tx, []any{&fp, &n, &at}, `SELECT fingerprint, number, at_micros FROM idempotency_keys
WHERE token = ? AND idem_key = ? AND expires_at > ?`, string(tokenOfEvent(draft)), idem.Key, time.Now().UnixMicro())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if fp != idem.Fingerprint {
		return nil, false, domain.ErrIdempotencyKeyReused
	}
	ev, ok := domain.Numbered(draft, n, 0, time.UnixMicro(at).UTC())
	if !ok {
		return nil, false, fmt.Errorf("cannot replay %T", draft)
	}
	return ev, true, nil
}

// record keeps an idempotency key with the event it numbered (a day; an
// expired key is replaced).
func record(ctx context.Context, tx entstore.SQLTx, ev domain.Event, idem domain.Idempotency) error {
	token, _, n, version, at := domain.Subject(ev)
	if version > 0 {
		n = version // an edit's or delete's record is its version
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (token, idem_key, fingerprint, number, at_micros, expires_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (token, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, number = excluded.number, at_micros = excluded.at_micros, expires_at = excluded.expires_at`,
		string(token), idem.Key, idem.Fingerprint, n, at.UnixMicro(), time.Now().Add(domain.IdempotencyTTL).UnixMicro())
	return err
}

func tokenOfEvent(e domain.Event) domain.Token {
	token, _, _, _, _ := domain.Subject(e)
	return token
}
