package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// FakeQueue is an in-memory ports.EventQueue and ports.Sequencer for the
// use cases' tests: it numbers drafts as the real queues do (it passes
// EventQueueContract) and keeps the events in Events, applied nowhere, so
// that a test decides when the projection sees them. Fail, when set, is
// what Append answers instead.
type FakeQueue struct {
	mu     sync.Mutex
	seeds  ports.SequenceSeeds
	apps   map[domain.Token]int64       // last chat number
	chats  map[domain.ChatKey]*[2]int64 // last message number, last version
	keys   map[[2]string]fakeKey        // token, key
	Events []domain.Event
	Fail   error
}

type fakeKey struct {
	fingerprint string
	n           int64
	at          time.Time
}

// NewFakeQueue numbers from scratch; seeds (may be nil) tells where the
// sequences of applications it was never told of stand.
func NewFakeQueue(seeds ports.SequenceSeeds) *FakeQueue {
	return &FakeQueue{seeds: seeds, apps: map[domain.Token]int64{}, chats: map[domain.ChatKey]*[2]int64{}, keys: map[[2]string]fakeKey{}}
}

func (q *FakeQueue) RegisterApplication(_ context.Context, token domain.Token) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.apps[token]; !ok {
		q.apps[token] = 0
	}
	return nil
}

func (q *FakeQueue) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.Fail != nil {
		return nil, false, q.Fail
	}
	token, chat, number, _, _ := domain.Subject(draft)
	key := [2]string{string(token), idem.Key}
	if seen, ok := q.keys[key]; ok && idem.Key != "" {
		if seen.fingerprint != idem.Fingerprint {
			return nil, false, domain.ErrIdempotencyKeyReused
		}
		ev, _ := domain.Numbered(draft, seen.n, 0, seen.at)
		return ev, true, nil
	}
	n, err := q.next(ctx, draft, token, chat, number)
	if err != nil {
		return nil, false, err
	}
	ev, ok := domain.Numbered(draft, n, 0, time.Time{})
	if !ok {
		return nil, false, fmt.Errorf("cannot number %T", draft)
	}
	if idem.Key != "" {
		_, _, _, _, at := domain.Subject(ev)
		q.keys[key] = fakeKey{fingerprint: idem.Fingerprint, n: n, at: at}
	}
	q.Events = append(q.Events, ev)
	return ev, false, nil
}

// next takes the draft's number (a creation's) or version (an edit's).
func (q *FakeQueue) next(ctx context.Context, draft domain.Event, token domain.Token, chat, number int64) (int64, error) {
	last, ok := q.apps[token]
	if !ok {
		if q.seeds == nil {
			return 0, domain.NotFoundf("application not found")
		}
		var err error
		if last, err = q.seeds.ChatSeed(ctx, token); err != nil {
			return 0, err
		}
		q.apps[token] = last
		// Chats up to last predate the fake: their sequences are seeded too.
		for c := int64(1); c <= last; c++ {
			n, v, err := q.seeds.MessageSeed(ctx, token, c)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return 0, err
			}
			q.chats[domain.ChatKey{Token: token, Number: c}] = &[2]int64{n, v}
		}
	}
	if _, ok := draft.(domain.ChatCreated); ok {
		q.apps[token] = last + 1
		q.chats[domain.ChatKey{Token: token, Number: last + 1}] = &[2]int64{}
		return last + 1, nil
	}
	seq, ok := q.chats[domain.ChatKey{Token: token, Number: chat}]
	if !ok {
		return 0, domain.NotFoundf("chat %d not found in this application", chat)
	}
	if _, ok := draft.(domain.MessageCreated); ok {
		seq[0]++
		return seq[0], nil
	}
	if number < 1 || number > seq[0] {
		return 0, domain.NotFoundf("message %d not found in chat %d", number, chat)
	}
	seq[1]++
	return seq[1], nil
}
