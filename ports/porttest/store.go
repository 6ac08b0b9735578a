package porttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Store is every port the system of record implements.
type Store interface {
	ports.ApplicationStore
	ports.ChatReader
	ports.MessageReader
	ports.SequenceSeeds
	ports.SequenceFences
	ports.Projection
	ports.Counters
	ports.SearchFallback
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

func newApp(t *testing.T, s Store, name string) domain.Application {
	t.Helper()
	n, err := domain.NewName(name)
	must(t, err)
	app := domain.Application{Token: domain.NewToken(), Name: n, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateApplication(context.Background(), app))
	return app
}

func apply(t *testing.T, s Store, events ...domain.Event) domain.Touched {
	t.Helper()
	touched, err := s.ApplyEvents(context.Background(), events)
	must(t, err)
	return touched
}

func body(t *testing.T, s Store, tok domain.Token, chat, n int64) string {
	t.Helper()
	m, err := s.Message(context.Background(), tok, chat, n)
	must(t, err)
	return m.Body.String()
}

// StoreContract runs the suite of the store ports. newStore gives a store on
// an empty, migrated database.
func StoreContract(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	t.Run("applications: create, read, rename, list", func(t *testing.T) {
		s := newStore(t)
		a := newApp(t, s, "first")
		got, err := s.Application(ctx, a.Token)
		must(t, err)
		if got.Name.String() != "first" || !got.CreatedAt.Equal(t0) || got.ChatsCount != 0 {
			t.Fatalf("read back %+v", got)
		}
		name, _ := domain.NewName("renamed")
		later := t0.Add(time.Hour)
		got, err = s.RenameApplication(ctx, a.Token, name, later)
		must(t, err)
		if got.Name.String() != "renamed" || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(t0) {
			t.Fatalf("after rename %+v", got)
		}
		_, err = s.RenameApplication(ctx, domain.NewToken(), name, later)
		wantNotFound(t, err)
		_, err = s.Application(ctx, domain.NewToken())
		wantNotFound(t, err)
		for i := 0; i < 4; i++ {
			newApp(t, s, "more")
		}
		var seen []domain.Token
		page := domain.PageRequest[domain.Token]{Limit: 2}
		for {
			p, err := s.Applications(ctx, page)
			must(t, err)
			for _, a := range p.Items {
				seen = append(seen, a.Token)
			}
			if !p.HasMore {
				break
			}
			page.After = p.Items[len(p.Items)-1].Token
		}
		if len(seen) != 5 {
			t.Fatalf("listed %d applications over pages, want 5", len(seen))
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] <= seen[i-1] {
				t.Fatalf("applications not in token order: %v", seen)
			}
		}
	})

	t.Run("creations are idempotent and readable", func(t *testing.T) {
		s := newStore(t)
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
	})

	t.Run("a chat's messages are invisible from another application", func(t *testing.T) {
		s := newStore(t)
		a, b := newApp(t, s, "a"), newApp(t, s, "b")
		apply(t, s, domain.ChatCreated{Token: a.Token, Number: 1, CreatedAt: t0},
			domain.MessageCreated{Token: a.Token, Chat: 1, Number: 1, Body: "secret", CreatedAt: t0})
		_, err := s.Message(ctx, b.Token, 1, 1)
		wantNotFound(t, err)
		_, err = s.Chat(ctx, b.Token, 1)
		wantNotFound(t, err)
		wantNotFound(t, s.ChatExists(ctx, b.Token, 1))
		wantNotFound(t, s.ChatExists(ctx, a.Token, 2))
		must(t, s.ChatExists(ctx, a.Token, 1))
	})

	t.Run("the last edit wins whatever the order of delivery", func(t *testing.T) {
		s := newStore(t)
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
	})

	t.Run("counters follow the writes exactly; the recount and the reconcile repair the rest", func(t *testing.T) {
		s := newStore(t)
		a := newApp(t, s, "app")
		var events []domain.Event
		for c := int64(1); c <= 3; c++ {
			events = append(events, domain.ChatCreated{Token: a.Token, Number: c, CreatedAt: t0})
			for m := int64(1); m <= c*2; m++ {
				events = append(events, domain.MessageCreated{Token: a.Token, Chat: c, Number: m, Body: "x", CreatedAt: t0})
			}
		}
		if touched := apply(t, s, events...); !touched.Empty() {
			t.Fatalf("a batch of new rows left counters to recount: %+v", touched)
		}
		checkCounts(t, s, a.Token, 3, map[int64]int64{1: 2, 2: 4, 3: 6})
		// Redelivered: nothing is added twice, and what it touched recounts to the same.
		touched := apply(t, s, events...)
		checkCounts(t, s, a.Token, 3, map[int64]int64{1: 2, 2: 4, 3: 6})
		must(t, s.RefreshCounts(ctx, touched))
		checkCounts(t, s, a.Token, 3, map[int64]int64{1: 2, 2: 4, 3: 6})
		// A message before its chat's creation: the chat row it makes is counted once.
		apply(t, s, domain.MessageCreated{Token: a.Token, Chat: 4, Number: 1, Body: "early", CreatedAt: t0})
		checkCounts(t, s, a.Token, 4, map[int64]int64{4: 1})
		apply(t, s, domain.ChatCreated{Token: a.Token, Number: 4, CreatedAt: t0})
		checkCounts(t, s, a.Token, 4, map[int64]int64{4: 1})

		// A batch mixing a redelivery with a new message cannot tell what it
		// inserted: it leaves chat 1 to a recount. If that recount is lost
		// (a crash), the reconcile repairs it.
		more := apply(t, s, domain.MessageCreated{Token: a.Token, Chat: 1, Number: 1, Body: "x", CreatedAt: t0},
			domain.MessageCreated{Token: a.Token, Chat: 1, Number: 3, Body: "x", CreatedAt: t0})
		if _, ok := more.Chats[domain.ChatKey{Token: a.Token, Number: 1}]; !ok {
			t.Fatalf("a batch that met a row already there left nothing to recount: %+v", more)
		}
		fixed, err := s.ReconcileCounts(ctx)
		must(t, err)
		if fixed != 1 {
			t.Fatalf("reconcile fixed %d counters, want 1", fixed)
		}
		checkCounts(t, s, a.Token, 4, map[int64]int64{1: 3, 2: 4, 3: 6, 4: 1})
		fixed, err = s.ReconcileCounts(ctx)
		must(t, err)
		if fixed != 0 {
			t.Fatalf("second reconcile fixed %d counters, want 0", fixed)
		}
	})

	t.Run("seeds are the highest persisted numbers", func(t *testing.T) {
		s := newStore(t)
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
	})

	t.Run("after a fence, older events above it are refused and below it applied", func(t *testing.T) {
		s := newStore(t)
		tok := newApp(t, s, "fenced").Token
		apply(t, s, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0},
			domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "one", CreatedAt: t0},
			domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "two", CreatedAt: t0})
		// The sequence reserved numbers up to 7 (and never lowers it); then
		// Redis lost it while a worker held messages 3 and 9 and an edit of 9,
		// all of epoch 0, unwritten. (9 above the reservation cannot happen
		// with leases; the projection checks all the same.)
		must(t, s.Reserve(ctx, tok, 1, 7))
		must(t, s.Reserve(ctx, tok, 1, 4))
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
	})
	t.Run("two different events under one number are an alarm, never a silent drop", func(t *testing.T) {
		s := newStore(t)
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
	})
	t.Run("a deleted message stays deleted whatever the order of delivery", func(t *testing.T) {
		s := newStore(t)
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
	})

	t.Run("the search fallback has the search semantics, operators included", func(t *testing.T) {
		s := newStore(t)
		tok := newApp(t, s, "fallback").Token
		events := []domain.Event{domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0}}
		for i, b := range []string{"the quick brown fox", "the brown quick fox", "a quick, Brown fox jumps", "quickly brownish foxes", "hello world"} {
			events = append(events, domain.MessageCreated{Token: tok, Chat: 1, Number: int64(i + 1), Body: b, CreatedAt: t0})
		}
		apply(t, s, events...)
		for _, c := range []struct{ q, want string }{
			{`ello`, "5"}, {`"quick brown"`, "1,3"}, {`"quick brown" -jumps`, "1"}, {`fox -ump`, "1,2,4"}, {`"uick brow"`, ""}, {`qui bro`, "1,2,3,4"},
		} {
			q, err := domain.NewSearchQuery(c.q)
			must(t, err)
			p, err := s.SearchMessages(ctx, tok, 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 50})
			must(t, err)
			if got := numbers(p.Items); got != c.want {
				t.Errorf("fallback q=%s: %q, want %q", c.q, got, c.want)
			}
			for _, h := range p.Items {
				if !strings.Contains(h.Highlight, "<em>") {
					t.Errorf("fallback hit without a marked word: %q", h.Highlight)
				}
			}
		}
	})
	t.Run("a batch that failed is completed by applying it again", func(t *testing.T) {
		s := newStore(t)
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
	})
	t.Run("an event of an unknown application can never be applied", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ApplyEvents(ctx, []domain.Event{domain.ChatCreated{Token: domain.NewToken(), Number: 1, CreatedAt: t0}})
		if !errors.Is(err, domain.ErrInvalidEvent) {
			t.Fatalf("error %v, want ErrInvalidEvent", err)
		}
		_, err = s.ApplyEvents(ctx, []domain.Event{domain.MessageCreated{Token: domain.NewToken(), Chat: 1, Number: 1, Body: "x", CreatedAt: t0}})
		if !errors.Is(err, domain.ErrInvalidEvent) {
			t.Fatalf("error %v, want ErrInvalidEvent", err)
		}
	})
}

func checkCounts(t *testing.T, s Store, tok domain.Token, chats int64, messages map[int64]int64) {
	t.Helper()
	ctx := context.Background()
	a, err := s.Application(ctx, tok)
	must(t, err)
	if a.ChatsCount != chats {
		t.Fatalf("chats_count %d, want %d", a.ChatsCount, chats)
	}
	for n, want := range messages {
		c, err := s.Chat(ctx, tok, n)
		must(t, err)
		if c.MessagesCount != want {
			t.Fatalf("chat %d messages_count %d, want %d", n, c.MessagesCount, want)
		}
	}
}
