package porttest

import (
	"context"
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
	ports.MemberStore
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

// storeCase is one case of a store suite; each runs on a store of its own.
type storeCase struct {
	name string
	run  func(t *testing.T, s Store)
}

// runStoreCases runs each case on a new store; newStore gives a store on an
// empty, migrated database.
func runStoreCases(t *testing.T, newStore func(t *testing.T) Store, cases ...storeCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
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
