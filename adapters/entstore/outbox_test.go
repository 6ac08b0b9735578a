package entstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// The degraded path numbers above the reservation and the lease every
// sequence has, and a reservation asked for after it skips past what it
// took; edits take versions in the degraded band; a chat or message that may
// still be queued is unavailable, one never numbered not found; a key gets
// its first answer; the outbox gives the events back in order, until relayed.
func TestOutboxQueueNumbersAboveTheReservation(t *testing.T) {
	ctx := context.Background()
	s, _, app := mysqlApp(t, "outbox")
	tok, now := app.Token, app.CreatedAt
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.ApplyEvents(ctx, []domain.Event{domain.ChatCreated{Token: tok, Number: 1, CreatedAt: now},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "one", CreatedAt: now}})
	must(err)
	const floor = 4
	q := entstore.NewOutboxQueue(s, floor, func(_ context.Context, e domain.Event) (ports.OutboxEntry, error) {
		return ports.OutboxEntry{Topic: "t", UUID: "u", Payload: "{}", MD: "\x81"}, nil
	})
	number := func(draft domain.Event, idem domain.Idempotency) int64 {
		t.Helper()
		ev, _, err := q.Append(ctx, draft, idem)
		must(err)
		if _, _, n, v, _ := domain.Subject(ev); v == 0 {
			return n // a creation's number
		} else {
			return v // an edit's or a deletion's version
		}
	}
	skip, reserved, err := s.Reserve(ctx, tok, 1, 2, 10)
	must(err)
	if skip != 0 || reserved != 10 {
		t.Fatalf("a reservation with nothing taken: skip %d, reserved %d", skip, reserved)
	}
	key := domain.Idempotency{Key: "k", Fingerprint: "f"}
	if n := number(domain.MessageCreated{Token: tok, Chat: 1, Body: "two", CreatedAt: now}, key); n != 11 {
		t.Fatalf("the first degraded number = %d, want 11: above the reservation", n)
	}
	if skip, reserved, err = s.Reserve(ctx, tok, 1, 11, 20); err != nil || skip != 11 || reserved != 21 {
		t.Fatalf("a reservation from 11 after the store took 11: skip %d, reserved %d, %v; want 11, 21", skip, reserved, err)
	}
	if n := number(domain.MessageCreated{Token: tok, Chat: 1, Body: "three", CreatedAt: now}, domain.Idempotency{}); n != 22 {
		t.Fatalf("the next degraded number = %d, want 22", n)
	}
	if n := number(domain.ChatCreated{Token: tok, CreatedAt: now}, domain.Idempotency{}); n != floor+1 {
		t.Fatalf("a degraded chat = %d, want %d: above the lease", n, floor+1)
	}
	v1 := number(domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "one!", EditedAt: now}, domain.Idempotency{})
	v2 := number(domain.MessageDeleted{Token: tok, Chat: 1, Number: 1, DeletedAt: now}, domain.Idempotency{})
	if v1 != 1<<31+1 || v2 != v1+1 {
		t.Fatalf("degraded versions %d, %d; want %d and the next", v1, v2, 1<<31+1)
	}
	ev, replayed, err := q.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "two", CreatedAt: now.Add(time.Second)}, key)
	if err != nil || !replayed || ev.(domain.MessageCreated).Number != 11 {
		t.Fatalf("a keyed retry: %+v replayed %v, %v", ev, replayed, err)
	}
	if _, _, err := q.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "x", CreatedAt: now}, domain.Idempotency{Key: "k", Fingerprint: "other"}); !errors.Is(err, domain.ErrIdempotencyKeyReused) {
		t.Fatalf("the key with another request: %v", err)
	}
	for _, c := range []struct {
		draft domain.Event
		want  error
	}{
		{domain.MessageCreated{Token: tok, Chat: 3, Body: "x", CreatedAt: now}, domain.ErrUnavailable}, // chat 3 may be queued in Redis
		{domain.MessageCreated{Token: tok, Chat: 99, Body: "x", CreatedAt: now}, domain.ErrNotFound},
		{domain.MessageEdited{Token: tok, Chat: 1, Number: 40, Body: "x", EditedAt: now}, domain.ErrNotFound},
		{domain.MessageEdited{Token: tok, Chat: 1, Number: 15, Body: "x", EditedAt: now}, domain.ErrUnavailable},
		{domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "x", EditedAt: now}, domain.ErrDeleted},
	} {
		if _, _, err := q.Append(ctx, c.draft, domain.Idempotency{}); !errors.Is(err, c.want) {
			t.Fatalf("%+v: %v, want %v", c.draft, err, c.want)
		}
	}
	pending, err := s.Pending(ctx, 10)
	must(err)
	if len(pending) != 5 || pending[0].Chat != 1 || pending[2].Chat != 0 || pending[0].Token != tok || pending[0].ID >= pending[1].ID {
		t.Fatalf("pending: %+v", pending)
	}
	if q.LastID() != pending[4].ID {
		t.Fatalf("the queue's last id %d, the outbox's %d", q.LastID(), pending[4].ID)
	}
	must(s.Relayed(ctx, []int64{pending[0].ID, pending[1].ID, pending[2].ID, pending[3].ID, pending[4].ID}))
	if pending, err = s.Pending(ctx, 10); err != nil || len(pending) != 0 {
		t.Fatalf("pending after the relay: %d, %v", len(pending), err)
	}
	if got, err := s.Message(ctx, tok, 1, 22); err != nil || got.Body.String() != "three" {
		t.Fatalf("a degraded message read back: %+v, %v", got, err)
	}
}
