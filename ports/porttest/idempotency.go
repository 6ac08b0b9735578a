package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

// keysAreKeptWithTheirRows: an event's idempotency key is kept by the
// projection with what it wrote, and FirstAnswer finds it (a creation's
// number, an edit's or delete's version, the epoch and the time) for a day:
// what a sequencer that lost its keys asks.
func keysAreKeptWithTheirRows(t *testing.T, s Store) {
	ctx := context.Background()
	a := newApp(t, s, "app")
	now := time.Now().UTC().Truncate(time.Microsecond)
	key := func(k string) domain.Idempotency { return domain.Idempotency{Key: k, Fingerprint: "fp-" + k} }
	events := []domain.Event{
		domain.ChatCreated{Token: a.Token, Number: 1, CreatedAt: now, Idem: key("chat")},
		domain.MessageCreated{Token: a.Token, Chat: 1, Number: 1, Body: "one", CreatedAt: now, Idem: key("msg")},
		domain.MessageCreated{Token: a.Token, Chat: 1, Number: 2, Body: "two", CreatedAt: now},
		domain.MessageEdited{Token: a.Token, Chat: 1, Number: 1, Body: "edited", Version: 3, EditedAt: now.Add(time.Second), Idem: key("edit")},
		domain.MessageDeleted{Token: a.Token, Chat: 1, Number: 2, Version: 4, DeletedAt: now.Add(2 * time.Second), Idem: key("delete")},
	}
	apply(t, s, events...)
	apply(t, s, events...) // redelivered
	want := func(k string, number int64, at time.Time) {
		t.Helper()
		got, found, err := s.FirstAnswer(ctx, a.Token, k)
		must(t, err)
		if w := (domain.FirstAnswer{Fingerprint: "fp-" + k, Number: number, At: at}); !found || got.Fingerprint != w.Fingerprint ||
			got.Number != w.Number || got.Epoch != 0 || !got.At.Equal(at) {
			t.Fatalf("FirstAnswer(%q) = %+v, %v; want %+v", k, got, found, w)
		}
	}
	want("chat", 1, now)
	want("msg", 1, now)
	want("edit", 3, now.Add(time.Second))
	want("delete", 4, now.Add(2*time.Second))
	if _, found, err := s.FirstAnswer(ctx, a.Token, "never"); err != nil || found {
		t.Fatalf("a key never used: found %v, %v", found, err)
	}
	other := newApp(t, s, "other")
	if _, found, err := s.FirstAnswer(ctx, other.Token, "chat"); err != nil || found {
		t.Fatalf("another application's key: found %v, %v", found, err)
	}
	// A key is kept a day; once expired it may be used again, and the later
	// request's answer replaces it, whatever is redelivered after.
	old := domain.ChatCreated{Token: a.Token, Number: 2, CreatedAt: now.Add(-domain.IdempotencyTTL - time.Minute), Idem: key("reused")}
	apply(t, s, old)
	if _, found, err := s.FirstAnswer(ctx, a.Token, "reused"); err != nil || found {
		t.Fatalf("an expired key: found %v, %v", found, err)
	}
	apply(t, s, domain.ChatCreated{Token: a.Token, Number: 3, CreatedAt: now, Idem: key("reused")})
	apply(t, s, old)
	want("reused", 3, now)
}
