package redis_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/adapters/eventwire"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
)

// A keyed create, edit and delete whose events a worker persisted, retried
// after Redis lost everything (FLUSHALL), get their first answers again
// (number or version, epoch, time) and take no number; the same key with
// another request is still refused. Real parts: a Redis of the test's own,
// the events as the worker reads them from the stream, MySQL's projection
// and fences.
func TestIdempotencyKeysSurviveARedisLoss(t *testing.T) {
	ctx := context.Background()
	fatal := fatalOn(t)
	store := mysqlStore(t)
	c := client(t, testenv.OwnRedis(t))
	topics := ownTopics(t, c)
	fences := &asking{SequenceFences: store}
	seq := redisadapter.NewSequencer(c, fences, redisadapter.Config{Topics: topics, Lease: 8, HistoryCheck: true})

	name, _ := domain.NewName("idem-loss")
	tok := domain.NewToken()
	now := time.Now().UTC().Truncate(time.Microsecond)
	fatal(store.CreateApplication(ctx, domain.Application{Token: tok, Name: name, CreatedAt: now, UpdatedAt: now}))
	fatal(seq.RegisterApplication(ctx, tok))

	type keyed struct {
		draft domain.Event
		idem  domain.Idempotency
	}
	requests := []keyed{
		{domain.ChatCreated{Token: tok, CreatedAt: now}, domain.Idempotency{Key: "chat", Fingerprint: "c"}},
		{domain.MessageCreated{Token: tok, Chat: 1, Body: "one", CreatedAt: now}, domain.Idempotency{Key: "m1", Fingerprint: "m"}},
		{domain.MessageCreated{Token: tok, Chat: 1, Body: "two", CreatedAt: now}, domain.Idempotency{Key: "m2", Fingerprint: "m"}},
		{domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "edited", EditedAt: now}, domain.Idempotency{Key: "e1", Fingerprint: "e"}},
		{domain.MessageDeleted{Token: tok, Chat: 1, Number: 2, DeletedAt: now}, domain.Idempotency{Key: "d2", Fingerprint: "d"}},
	}
	var first []domain.Event
	for _, r := range requests {
		ev, _, err := seq.Append(ctx, r.draft, r.idem)
		fatal(err)
		first = append(first, ev)
		if _, replayed, err := seq.Append(ctx, r.draft, r.idem); err != nil || !replayed {
			t.Fatalf("a retry before the loss: replayed %v, %v", replayed, err)
		}
	}
	if n := fences.asked.Load(); n != 0 {
		t.Fatalf("the store was asked for keys %d times before any loss: keyed writes must not cost a query", n)
	}
	// The worker persists what it reads from the stream: the events carry their keys.
	_, err := store.ApplyEvents(ctx, streamEvents(t, c, topics))
	fatal(err)

	fatal(c.Do(ctx, c.B().Flushall().Build()).Error())

	later := now.Add(time.Minute)
	for i, r := range requests {
		retry, _ := domain.Numbered(r.draft, 0, 0, later)
		got, replayed, err := seq.Append(ctx, retry, r.idem)
		if err != nil || !replayed || got != first[i] {
			t.Fatalf("retry %d after the loss = %+v, replayed %v, %v; want %+v replayed", i, got, replayed, err, first[i])
		}
		// Put back in Redis: the next retry does not ask the store.
		if again, replayed, err := seq.Append(ctx, retry, r.idem); err != nil || !replayed || again != first[i] {
			t.Fatalf("second retry %d = %+v, replayed %v, %v", i, again, replayed, err)
		}
	}
	if _, _, err := seq.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "other", CreatedAt: later},
		domain.Idempotency{Key: "m1", Fingerprint: "another"}); !errors.Is(err, domain.ErrIdempotencyKeyReused) {
		t.Fatalf("the key with another request after the loss: %v, want ErrIdempotencyKeyReused", err)
	}
	if _, _, err := seq.Append(ctx, domain.ChatCreated{Token: tok, CreatedAt: later},
		domain.Idempotency{Key: "d2", Fingerprint: "another"}); !errors.Is(err, domain.ErrIdempotencyKeyReused) {
		t.Fatalf("a message's key reused for a chat after the loss: %v, want ErrIdempotencyKeyReused", err)
	}
	if fences.asked.Load() == 0 {
		t.Fatal("the store was never asked after the loss")
	}
	// A new key after the loss takes a new number, above the fence.
	ev, replayed, err := seq.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "three", CreatedAt: later},
		domain.Idempotency{Key: "m3", Fingerprint: "m"})
	fatal(err)
	if n := ev.(domain.MessageCreated).Number; replayed || n <= 2 {
		t.Fatalf("a new key after the loss: number %d, replayed %v", n, replayed)
	}
}

// asking counts the store's lookups of keys.
type asking struct {
	ports.SequenceFences
	asked atomic.Int64
}

func (a *asking) FirstAnswer(ctx context.Context, token domain.Token, key string) (domain.FirstAnswer, bool, error) {
	a.asked.Add(1)
	return a.SequenceFences.FirstAnswer(ctx, token, key)
}

// streamEvents decodes every event the sequencer appended, as a worker does.
func streamEvents(t *testing.T, c rueidis.Client, topics eventwire.Topics) []domain.Event {
	t.Helper()
	var out []domain.Event
	for _, topic := range topics.All() {
		entries, err := c.Do(context.Background(), c.B().Xrange().Key(topic).Start("-").End("+").Build()).AsXRange()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			values := map[string]any{}
			for k, v := range e.FieldValues {
				values[k] = v
			}
			ev, err := eventwire.DecodeEntry(values)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
		}
	}
	return out
}
