package porttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

// ProjectionContract runs the ports.Projection suite: events applied in any
// order, any number of times, give the same rows; what can never be applied
// is refused whole, and a number taken twice is an alarm.
func ProjectionContract(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreCases(t, newStore,
		storeCase{"creations are idempotent and readable", creationsAreIdempotentAndReadable},
		storeCase{"the last edit wins whatever the order of delivery", lastEditWins},
		storeCase{"two different events under one number are an alarm, never a silent drop", twoEventsUnderOneNumberAreAnAlarm},
		storeCase{"a deleted message stays deleted whatever the order of delivery", deletedMessagesStayDeleted},
		storeCase{"a batch that failed is completed by applying it again", failedBatchIsCompletedAgain},
		storeCase{"an event of an unknown application can never be applied", unknownApplicationNeverApplied},
		storeCase{"an event's idempotency key is kept with its rows", keysAreKeptWithTheirRows},
		storeCase{"a message's author is kept, whatever the order of delivery", authorsAreKept},
		storeCase{"a chat's creation sets it up once, in its own write", chatSetupIsKeptOnce},
		storeCase{"a message's type and attributes are kept through edits, whatever the order of delivery", structureIsKept},
		storeCase{"a message's replies are paged and counted exactly", repliesAreCounted},
	)
}

func creationsAreIdempotentAndReadable(t *testing.T, s Store) {
	ctx := context.Background()
	a := newApp(t, s, "app")
	events := []domain.Event{
		domain.ChatCreated{Token: a.Token, Number: 1, CreatedAt: t0},
		domain.ChatCreated{Token: a.Token, Number: 2, CreatedAt: t0},
		domain.MessageCreated{Token: a.Token, Chat: 1, Number: 1, Body: "one", CreatedAt: t0},
		domain.MessageCreated{Token: a.Token, Chat: 1, Number: 2, Body: "two", CreatedAt: t0},
	}
	apply(t, s, events...)
	apply(t, s, events...) // redelivered
	apply(t, s, events[3], events[0])
	chats, err := s.Chats(ctx, a.Token, domain.PageRequest[int64]{Limit: 10})
	must(t, err)
	if len(chats.Items) != 2 || chats.HasMore || chats.Items[0].Number != 1 || chats.Items[1].Number != 2 {
		t.Fatalf("chats %+v", chats)
	}
	msgs, err := s.Messages(ctx, a.Token, 1, domain.PageRequest[int64]{Limit: 1})
	must(t, err)
	if len(msgs.Items) != 1 || !msgs.HasMore || msgs.Items[0].Body.String() != "one" {
		t.Fatalf("first page %+v", msgs)
	}
	msgs, err = s.Messages(ctx, a.Token, 1, domain.PageRequest[int64]{After: 1, Limit: 1})
	must(t, err)
	if len(msgs.Items) != 1 || msgs.HasMore || msgs.Items[0].Body.String() != "two" {
		t.Fatalf("second page %+v", msgs)
	}
	m, err := s.Message(ctx, a.Token, 1, 2)
	must(t, err)
	if !m.CreatedAt.Equal(t0) {
		t.Fatalf("created_at %v, want %v", m.CreatedAt, t0)
	}
	_, err = s.Message(ctx, a.Token, 1, 3)
	wantNotFound(t, err)
	_, err = s.Message(ctx, a.Token, 3, 1)
	wantNotFound(t, err)
	_, err = s.Chat(ctx, a.Token, 3)
	wantNotFound(t, err)
	_, err = s.Chats(ctx, domain.NewToken(), domain.PageRequest[int64]{Limit: 10})
	wantNotFound(t, err)
}

func lastEditWins(t *testing.T, s Store) {
	ctx := context.Background()
	a := newApp(t, s, "app")
	create := domain.MessageCreated{Token: a.Token, Chat: 1, Number: 1, Body: "original", CreatedAt: t0}
	edit1 := domain.MessageEdited{Token: a.Token, Chat: 1, Number: 1, Body: "first edit", Version: 1, EditedAt: t0.Add(time.Second)}
	edit2 := domain.MessageEdited{Token: a.Token, Chat: 1, Number: 1, Body: "second edit", Version: 2, EditedAt: t0.Add(2 * time.Second)}
	// The edits overtake the creation (and the chat's own creation), the older edit comes last.
	apply(t, s, edit2)
	apply(t, s, create)
	apply(t, s, edit1)
	apply(t, s, domain.ChatCreated{Token: a.Token, Number: 1, CreatedAt: t0})
	if got := body(t, s, a.Token, 1, 1); got != "second edit" {
		t.Fatalf("body %q, want the second edit", got)
	}
	// In one batch, in any order.
	create2 := domain.MessageCreated{Token: a.Token, Chat: 1, Number: 2, Body: "original", CreatedAt: t0}
	e3 := domain.MessageEdited{Token: a.Token, Chat: 1, Number: 2, Body: "third", Version: 3, EditedAt: t0}
	e4 := domain.MessageEdited{Token: a.Token, Chat: 1, Number: 2, Body: "fourth", Version: 4, EditedAt: t0}
	apply(t, s, e4, create2, e3)
	if got := body(t, s, a.Token, 1, 2); got != "fourth" {
		t.Fatalf("body %q, want the fourth edit", got)
	}
	chats, err := s.Chats(ctx, a.Token, domain.PageRequest[int64]{Limit: 10})
	must(t, err)
	if len(chats.Items) != 1 {
		t.Fatalf("chats %+v, want exactly one", chats.Items)
	}
	// The rows the edits had to create first carry the creations' true dates.
	m, err := s.Message(ctx, a.Token, 1, 1)
	must(t, err)
	if !m.CreatedAt.Equal(t0) || !m.UpdatedAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("message dates %v %v, want created %v, updated %v", m.CreatedAt, m.UpdatedAt, t0, t0.Add(2*time.Second))
	}
	if !chats.Items[0].CreatedAt.Equal(t0) {
		t.Fatalf("chat created_at %v, want %v", chats.Items[0].CreatedAt, t0)
	}
}

func twoEventsUnderOneNumberAreAnAlarm(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "conflicts").Token
	first := domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "first", CreatedAt: t0}
	apply(t, s, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0}, first)
	apply(t, s, first, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0}) // redeliveries change nothing
	for _, other := range []domain.Event{
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "second", CreatedAt: t0.Add(time.Second)},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "second", CreatedAt: t0},
		domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0.Add(time.Second)},
	} {
		if _, err := s.ApplyEvents(ctx, []domain.Event{other}); !errors.Is(err, domain.ErrNumberConflict) {
			t.Fatalf("%+v over a taken number: %v, want a number conflict", other, err)
		}
	}
	if body(t, s, tok, 1, 1) != "first" {
		t.Fatal("the first message was overwritten")
	}
}

func deletedMessagesStayDeleted(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "deletes").Token
	at := t0
	var events []domain.Event
	events = append(events, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: at})
	for n := int64(1); n <= 5; n++ {
		events = append(events, domain.MessageCreated{Token: tok, Chat: 1, Number: n, Body: fmt.Sprint("body ", n), CreatedAt: at})
	}
	apply(t, s, events...)
	del := func(n, v int64) domain.MessageDeleted {
		return domain.MessageDeleted{Token: tok, Chat: 1, Number: n, Version: v, DeletedAt: at.Add(time.Minute)}
	}
	edit := func(n, v int64, body string) domain.MessageEdited {
		return domain.MessageEdited{Token: tok, Chat: 1, Number: n, Body: body, Version: v, EditedAt: at.Add(time.Second)}
	}
	apply(t, s, del(1, 2))
	apply(t, s, del(1, 2))                       // redelivered: counted once
	apply(t, s, edit(1, 1, "older edit"))        // an older edit does not bring it back
	apply(t, s, edit(1, 3, "newer edit"))        // nor a newer one
	apply(t, s, edit(2, 4, "edited"), del(2, 5)) // delete after edit, one batch
	apply(t, s, del(3, 7), edit(3, 6, "late"))   // an edit that arrives after the delete
	// A delete that overtakes its message's creation leaves a tombstone.
	touched := apply(t, s, del(6, 8))
	touched.Merge(apply(t, s, domain.MessageCreated{Token: tok, Chat: 1, Number: 6, Body: "never seen", CreatedAt: at}))
	must(t, s.RefreshCounts(ctx, touched))
	for _, n := range []int64{1, 2, 3, 6} {
		if _, err := s.Message(ctx, tok, 1, n); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("deleted message %d: %v, want not found", n, err)
		}
	}
	page, err := s.Messages(ctx, tok, 1, domain.PageRequest[int64]{Limit: 50})
	must(t, err)
	if len(page.Items) != 2 || page.Items[0].Number != 4 || page.Items[1].Number != 5 {
		t.Fatalf("page after deletes: %+v", page.Items)
	}
	checkCounts(t, s, tok, 1, map[int64]int64{1: 2})
	q, _ := domain.NewSearchQuery("body")
	hits, err := s.SearchMessages(ctx, tok, 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 50})
	must(t, err)
	if got := numbers(hits.Items); got != "4,5" {
		t.Fatalf("fallback search after deletes: %s", got)
	}
	if number, _, err := s.MessageSeed(ctx, tok, 1); err != nil || number != 6 {
		t.Fatalf("a deleted number is still taken: seed %d, %v", number, err)
	}
	if fixed, err := s.ReconcileCounts(ctx); err != nil || fixed != 0 {
		t.Fatalf("reconcile after deletes fixed %d (%v), want 0", fixed, err)
	}
}

func failedBatchIsCompletedAgain(t *testing.T, s Store) {
	ctx := context.Background()
	apps := []domain.Token{newApp(t, s, "one").Token, newApp(t, s, "two").Token, newApp(t, s, "three").Token}
	var good []domain.Event
	for _, tok := range apps {
		good = append(good, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0})
		for n := int64(1); n <= 3; n++ {
			good = append(good, domain.MessageCreated{Token: tok, Chat: 1, Number: n, Body: "m", CreatedAt: t0})
		}
	}
	// One event that can never be applied fails the batch; the store may
	// have applied other applications' parts (each whole or not at all).
	bad := domain.MessageCreated{Token: domain.NewToken(), Chat: 1, Number: 1, Body: "x", CreatedAt: t0}
	if _, err := s.ApplyEvents(ctx, append(append([]domain.Event{}, good...), bad)); !errors.Is(err, domain.ErrInvalidEvent) {
		t.Fatalf("error %v, want ErrInvalidEvent", err)
	}
	for _, tok := range apps {
		p, err := s.Messages(ctx, tok, 1, domain.PageRequest[int64]{Limit: 10})
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			t.Fatal(err)
		}
		if n := len(p.Items); n != 0 && n != 3 {
			t.Fatalf("an application's part applied in part: %d of its 3 messages", n)
		}
	}
	// The batch again, without the event the worker dead-letters: each
	// row once, and the counters exact once recounted.
	touched := apply(t, s, good...)
	must(t, s.RefreshCounts(ctx, touched))
	for _, tok := range apps {
		p, err := s.Messages(ctx, tok, 1, domain.PageRequest[int64]{Limit: 10})
		must(t, err)
		if len(p.Items) != 3 {
			t.Fatalf("after the retry: %d messages, want 3", len(p.Items))
		}
		checkCounts(t, s, tok, 1, map[int64]int64{1: 3})
	}
}

func unknownApplicationNeverApplied(t *testing.T, s Store) {
	ctx := context.Background()
	_, err := s.ApplyEvents(ctx, []domain.Event{domain.ChatCreated{Token: domain.NewToken(), Number: 1, CreatedAt: t0}})
	if !errors.Is(err, domain.ErrInvalidEvent) {
		t.Fatalf("error %v, want ErrInvalidEvent", err)
	}
	_, err = s.ApplyEvents(ctx, []domain.Event{domain.MessageCreated{Token: domain.NewToken(), Chat: 1, Number: 1, Body: "x", CreatedAt: t0}})
	if !errors.Is(err, domain.ErrInvalidEvent) {
		t.Fatalf("error %v, want ErrInvalidEvent", err)
	}
}
