package porttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

// SequenceSeedsContract runs the ports.SequenceSeeds suite: a sequence is
// re-seeded from the highest numbers the store holds.
func SequenceSeedsContract(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreCases(t, newStore,
		storeCase{"seeds are the highest persisted numbers", seedsAreTheHighestPersistedNumbers},
	)
}

func seedsAreTheHighestPersistedNumbers(t *testing.T, s Store) {
	ctx := context.Background()
	a := newApp(t, s, "app")
	n, err := s.ChatSeed(ctx, a.Token)
	must(t, err)
	if n != 0 {
		t.Fatalf("chat seed of a new application = %d", n)
	}
	apply(t, s, domain.ChatCreated{Token: a.Token, Number: 1, CreatedAt: t0},
		domain.ChatCreated{Token: a.Token, Number: 2, CreatedAt: t0},
		domain.MessageCreated{Token: a.Token, Chat: 2, Number: 1, Body: "x", CreatedAt: t0},
		domain.MessageCreated{Token: a.Token, Chat: 2, Number: 2, Body: "x", CreatedAt: t0},
		domain.MessageEdited{Token: a.Token, Chat: 2, Number: 1, Body: "y", Version: 7, EditedAt: t0})
	n, err = s.ChatSeed(ctx, a.Token)
	must(t, err)
	num, ver, err2 := s.MessageSeed(ctx, a.Token, 2)
	must(t, err2)
	if n != 2 || num != 2 || ver != 7 {
		t.Fatalf("seeds chat=%d message=%d version=%d, want 2 2 7", n, num, ver)
	}
	num, ver, err = s.MessageSeed(ctx, a.Token, 1)
	must(t, err)
	if num != 0 || ver != 0 {
		t.Fatalf("seed of an empty chat = %d %d", num, ver)
	}
	_, err = s.ChatSeed(ctx, domain.NewToken())
	wantNotFound(t, err)
	_, _, err = s.MessageSeed(ctx, a.Token, 9)
	wantNotFound(t, err)
}

// SequenceFencesContract runs the ports.SequenceFences suite: after a
// sequence lost its state, a fence refuses the events of the older epoch
// above it and lets the rest in.
func SequenceFencesContract(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreCases(t, newStore,
		storeCase{"after a fence, older events above it are refused and below it applied", fencesRefuseOlderEventsAbove},
	)
}

func fencesRefuseOlderEventsAbove(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "fenced").Token
	apply(t, s, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "one", CreatedAt: t0},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "two", CreatedAt: t0})
	// The sequence reserved numbers up to 7 (and never lowers it); then
	// Redis lost it while a worker held messages 3 and 9 and an edit of 9,
	// all of epoch 0, unwritten. (9 above the reservation cannot happen
	// with leases; the projection checks all the same.)
	reserve(t, s, tok, 1, 1, 7)
	reserve(t, s, tok, 1, 1, 4)
	resume, version, epoch, err := s.FenceMessages(ctx, tok, 1, 0)
	must(t, err)
	if resume != 7 || epoch != 1 || version < 1<<32 {
		t.Fatalf("fence at %d, epoch %d, version %d; want 7, 1, above every version of epoch 0", resume, epoch, version)
	}
	apply(t, s, domain.MessageCreated{Token: tok, Chat: 1, Number: 3, Body: "three", CreatedAt: t0})
	for _, late := range []domain.Event{
		domain.MessageCreated{Token: tok, Chat: 1, Number: 9, Body: "nine", CreatedAt: t0},
		domain.MessageEdited{Token: tok, Chat: 1, Number: 9, Body: "nine!", Version: 4, EditedAt: t0},
	} {
		if _, err := s.ApplyEvents(ctx, []domain.Event{late}); !errors.Is(err, domain.ErrNumberConflict) || !errors.Is(err, domain.ErrInvalidEvent) {
			t.Fatalf("%T of epoch 0 above the fence: %v, want a number conflict", late, err)
		}
	}
	// The new epoch's own numbers go in, and so would a second fence's.
	apply(t, s, domain.MessageCreated{Token: tok, Chat: 1, Number: 8, Body: "eight", CreatedAt: t0.Add(time.Second), Epoch: 1})
	if body(t, s, tok, 1, 3) != "three" || body(t, s, tok, 1, 8) != "eight" {
		t.Fatal("events allowed by the fence were not applied")
	}
	if _, err := s.Message(ctx, tok, 1, 9); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("refused message 9: %v, want not found", err)
	}
	// Chat numbers are fenced the same way.
	resume, epoch, err = s.FenceChats(ctx, tok, 11) // no reservation: the floor
	must(t, err)
	if resume != 11 || epoch != 1 {
		t.Fatalf("chat fence at %d, epoch %d; want 11, 1", resume, epoch)
	}
	apply(t, s, domain.ChatCreated{Token: tok, Number: 11, CreatedAt: t0})
	if _, err := s.ApplyEvents(ctx, []domain.Event{domain.ChatCreated{Token: tok, Number: 12, CreatedAt: t0}}); !errors.Is(err, domain.ErrNumberConflict) {
		t.Fatalf("chat of epoch 0 above the fence: %v, want a number conflict", err)
	}
	if _, _, err := s.FenceChats(ctx, domain.NewToken(), 1); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("fence of an unknown application: %v", err)
	}
	if _, _, _, err := s.FenceMessages(ctx, tok, 99, 1); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("fence of an unknown chat: %v", err)
	}
}

func reserve(t *testing.T, s Store, tok domain.Token, chat, next, upTo int64) {
	t.Helper()
	if _, _, err := s.Reserve(context.Background(), tok, chat, next, upTo); err != nil {
		t.Fatal(err)
	}
}
