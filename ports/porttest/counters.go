package porttest

import (
	"context"
	"testing"

	"github.com/chatsvc/chat/domain"
)

// CountersContract runs the ports.Counters suite: the chats and messages
// counts follow the writes exactly, and the recount and the reconcile repair
// what a lost recount left.
func CountersContract(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreCases(t, newStore,
		storeCase{"counters follow the writes exactly; the recount and the reconcile repair the rest", countersFollowTheWrites},
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
