package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

// CountersContract runs the ports.Counters suite: the chats and messages
// counts follow the writes exactly (a delete's included), and the recount
// and the reconcile repair what a lost recount left.
func CountersContract(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreCases(t, newStore,
		storeCase{"counters follow the writes exactly; the recount and the reconcile repair the rest", countersFollowTheWrites},
		storeCase{"a delete lowers its chat's count once; one of a deleted or unknown message changes nothing", deletesLowerTheCountOnce},
	)
}

func countersFollowTheWrites(t *testing.T, s Store) {
	ctx := context.Background()
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
}

// deletesLowerTheCountOnce checks each delete's own effect on the count: by
// the batch, or by the recount of what that batch alone left (never by a
// recount of the whole chat that would hide a decrement missed or doubled).
func deletesLowerTheCountOnce(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "deletes").Token
	events := []domain.Event{domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0}}
	for n := int64(1); n <= 4; n++ {
		events = append(events, domain.MessageCreated{Token: tok, Chat: 1, Number: n, Body: "m", CreatedAt: t0})
	}
	apply(t, s, events...)
	checkCounts(t, s, tok, 1, map[int64]int64{1: 4})
	del := func(n, v int64) domain.Event {
		return domain.MessageDeleted{Token: tok, Chat: 1, Number: n, Version: v, DeletedAt: t0.Add(time.Minute)}
	}
	for _, step := range []struct {
		what   string
		events []domain.Event
		want   int64
	}{
		{"a persisted message deleted", []domain.Event{del(1, 2)}, 3},
		{"the same delete redelivered", []domain.Event{del(1, 2)}, 3},
		{"a deleted message deleted again, a newer version", []domain.Event{del(1, 3)}, 3},
		{"a message never created deleted", []domain.Event{del(9, 1)}, 3},
		{"the creation the delete overtook", []domain.Event{domain.MessageCreated{Token: tok, Chat: 1, Number: 9, Body: "late", CreatedAt: t0}}, 3},
		{"two messages deleted in one batch, one of them twice", []domain.Event{del(2, 4), del(3, 5), del(2, 4)}, 1},
	} {
		must(t, s.RefreshCounts(ctx, apply(t, s, step.events...)))
		c, err := s.Chat(ctx, tok, 1)
		must(t, err)
		if c.MessagesCount != step.want {
			t.Fatalf("after %s: messages_count %d, want %d", step.what, c.MessagesCount, step.want)
		}
	}
	if fixed, err := s.ReconcileCounts(ctx); err != nil || fixed != 0 {
		t.Fatalf("reconcile after the deletes fixed %d (%v), want 0", fixed, err)
	}
}
