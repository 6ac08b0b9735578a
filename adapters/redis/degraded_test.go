package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/eventwire"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
)

// The degraded write path (the store numbering while Redis cannot be
// reached from some api) and Redis's numbering of the same sequences at
// once, as an api that reaches Redis and one that does not would: no number
// is handed out twice, however they interleave with Redis's reservations.
// Real parts: MySQL's sequence leases, a Redis of the test's own.
func TestDegradedAndRedisNumbersNeverMeet(t *testing.T) {
	ctx := context.Background()
	fatal := fatalOn(t)
	p := twoPaths(t)
	store, seq, degraded, tok, now := p.store, p.seq, p.degraded, p.tok, time.Now().UTC()
	ev, _, err := seq.Append(ctx, domain.ChatCreated{Token: tok, CreatedAt: now}, domain.Idempotency{})
	fatal(err)
	_, err = store.ApplyEvents(ctx, []domain.Event{ev}) // the worker persisted chat 1
	fatal(err)

	const each = 120
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for _, q := range []struct {
		name  string
		queue ports.EventQueue
	}{{"redis", seq}, {"store", degraded}, {"redis", seq}, {"store", degraded}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var draft domain.Event = domain.MessageCreated{Token: tok, Chat: 1, Body: "m", CreatedAt: time.Now()}
				if i%10 == 0 {
					draft = domain.ChatCreated{Token: tok, CreatedAt: time.Now()}
				}
				ev, _, err := q.queue.Append(ctx, draft, domain.Idempotency{})
				if err != nil {
					t.Error(q.name, err)
					return
				}
				_, chat, n, _, _ := domain.Subject(ev)
				if _, ok := ev.(domain.ChatCreated); ok {
					chat, n = 0, ev.(domain.ChatCreated).Number
				}
				k := fmt.Sprint(chat, "/", n)
				mu.Lock()
				if by, dup := seen[k]; dup {
					t.Errorf("number %s handed out twice: by %s and by %s", k, by, q.name)
				}
				seen[k] = q.name
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 4*each {
		t.Fatalf("%d numbers for %d writes", len(seen), 4*each)
	}
}

// What the degraded path numbered reaches the stream once, in order, and
// Redis then resumes above it: its next message number above the degraded
// ones, an edit above the degraded edit's version, a message to a chat the
// store created, and a keyed retry gets the degraded answer.
func TestRelayAppendsTheOutboxOnceAndRedisResumesAboveIt(t *testing.T) {
	ctx := context.Background()
	fatal := fatalOn(t)
	p := twoPaths(t)
	store, seq, degraded, tok, c, topics, now := p.store, p.seq, p.degraded, p.tok, p.c, p.topics, time.Now().UTC()
	const lease = testLease
	appendVia := func(q ports.EventQueue, draft domain.Event, idem domain.Idempotency) domain.Event {
		t.Helper()
		ev, _, err := q.Append(ctx, draft, idem)
		fatal(err)
		return ev
	}
	appendVia(seq, domain.ChatCreated{Token: tok, CreatedAt: now}, domain.Idempotency{})
	appendVia(seq, domain.MessageCreated{Token: tok, Chat: 1, Body: "one", CreatedAt: now}, domain.Idempotency{})
	_, err := store.ApplyEvents(ctx, streamEvents(t, c, topics))
	fatal(err)

	key := domain.Idempotency{Key: "k", Fingerprint: "f"}
	// Written by a user: the author goes with the row and the relayed event.
	m := appendVia(degraded, domain.MessageCreated{Token: tok, Chat: 1, Body: "two", Author: "ann", CreatedAt: now}, key).(domain.MessageCreated)
	if m.Number != lease+1 {
		t.Fatalf("the store's first message number = %d, want %d: above the lease Redis holds without asking", m.Number, lease+1)
	}
	if again, replayed, err := degraded.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "two", Author: "ann", CreatedAt: now}, key); err != nil || !replayed || again.(domain.MessageCreated).Number != m.Number {
		t.Fatalf("a keyed retry on the degraded path: %+v replayed %v, %v", again, replayed, err)
	}
	edit := appendVia(degraded, domain.MessageEdited{Token: tok, Chat: 1, Number: m.Number, Body: "two!", Author: "ann", EditedAt: now}, domain.Idempotency{}).(domain.MessageEdited)
	chat := appendVia(degraded, domain.ChatCreated{Token: tok, CreatedAt: now}, domain.Idempotency{}).(domain.ChatCreated)
	got, err := store.Message(ctx, tok, 1, m.Number)
	if err != nil || got.Body.String() != "two!" || got.Author != "ann" {
		t.Fatalf("the degraded writes are not persisted when answered: %+v, %v", got, err)
	}
	before := len(streamEvents(t, c, topics))

	relay := redisadapter.NewRelay(seq, &failOnce{Outbox: store}, 2)
	if _, err := relay.Pass(ctx); err == nil {
		t.Fatal("the first pass should fail to drop its entries")
	}
	n, err := relay.Pass(ctx)
	fatal(err)
	pending, err := store.Pending(ctx, 10)
	fatal(err)
	events := streamEvents(t, c, topics)[before:]
	if len(pending) != 0 || len(events) != 3 || n != 1 {
		t.Fatalf("after the relay: %d pending, %d appended (%d by the second pass), want 0, 3 (1)", len(pending), len(events), n)
	}
	want := []domain.Event{m, edit, chat}
	for i, e := range events {
		if domain.WithIdempotency(e, domain.Idempotency{}) != domain.WithIdempotency(want[i], domain.Idempotency{}) {
			t.Fatalf("relayed event %d = %+v, want %+v", i, e, want[i])
		}
	}
	_, err = store.ApplyEvents(ctx, events) // the worker: already persisted, changes nothing
	fatal(err)

	next := appendVia(seq, domain.MessageCreated{Token: tok, Chat: 1, Body: "three", CreatedAt: now}, domain.Idempotency{}).(domain.MessageCreated)
	later := appendVia(seq, domain.MessageEdited{Token: tok, Chat: 1, Number: m.Number, Body: "two!!", EditedAt: now}, domain.Idempotency{}).(domain.MessageEdited)
	inNew := appendVia(seq, domain.MessageCreated{Token: tok, Chat: chat.Number, Body: "x", CreatedAt: now}, domain.Idempotency{}).(domain.MessageCreated)
	if next.Number <= m.Number || later.Version <= edit.Version || inNew.Number < 1 {
		t.Fatalf("Redis after the relay: message %d, version %d; want above %d and %d", next.Number, later.Version, m.Number, edit.Version)
	}
	if again, replayed, err := seq.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "two", CreatedAt: now}, key); err != nil || !replayed || again.(domain.MessageCreated).Number != m.Number {
		t.Fatalf("a keyed retry through Redis of a degraded write: %+v replayed %v, %v", again, replayed, err)
	}
	if _, _, err := seq.Append(ctx, domain.MessageCreated{Token: tok, Chat: chat.Number + 1, Body: "x", CreatedAt: now}, domain.Idempotency{}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a message to a chat no one created: %v, want not found", err)
	}
}

// failOnce fails the first Relayed, as a relay that appended its entries
// and could not drop them from the outbox.
type failOnce struct {
	ports.Outbox
	failed bool
}

func (f *failOnce) Relayed(ctx context.Context, ids []int64) error {
	if !f.failed {
		f.failed = true
		return errors.New("lost the connection")
	}
	return f.Outbox.Relayed(ctx, ids)
}

// paths are the two ways a write is numbered, on one application: Redis's
// sequencer and the degraded path's store, over a real MySQL and a Redis of
// the test's own.
type paths struct {
	store    *entstore.Store
	c        rueidis.Client
	topics   eventwire.Topics
	seq      *redisadapter.Sequencer
	degraded *entstore.OutboxQueue
	tok      domain.Token
}

// testLease is small, so that the paths meet Redis's reservations often.
const testLease = 4

func twoPaths(t *testing.T) paths {
	t.Helper()
	p := paths{store: mysqlStore(t), c: client(t, testenv.OwnRedis(t))}
	p.topics = ownTopics(t, p.c)
	p.seq = redisadapter.NewSequencer(p.c, p.store, redisadapter.Config{Topics: p.topics, Lease: testLease, HistoryCheck: true})
	p.degraded = entstore.NewOutboxQueue(p.store, testLease, p.topics.OutboxEntry)
	p.tok = registered(t, p.seq)
	name, _ := domain.NewName("two paths")
	now := time.Now().UTC()
	if err := p.store.CreateApplication(context.Background(), domain.Application{Token: p.tok, Name: name, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return p
}
