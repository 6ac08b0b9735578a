package porttest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// ReadsStore is what the read positions and the tallies' seeds need of the
// system of record.
type ReadsStore interface {
	Store
	ports.MemberStore
	ports.ReadPositions
	ports.TallySeeds
}

// ReadPositionsContract runs the ports.ReadPositions and ports.TallySeeds
// suites: positions move forward only, members only; a chat's seed is its
// persisted numbers.
func ReadPositionsContract(t *testing.T, newStore func(t *testing.T) ReadsStore) {
	ctx := context.Background()
	runStoreCases(t, func(t *testing.T) Store { return newStore(t) }, storeCase{"positions move forward, for members only", func(t *testing.T, st Store) {
		s := st.(ReadsStore)
		tok := newApp(t, s, "Reads").Token
		for _, chat := range []int64{1, 2, 3} {
			_, err := s.PutMember(ctx, tok, chat, domain.Member{User: "ann", Role: domain.RoleMember, JoinedAt: t0})
			must(t, err)
		}
		mark := func(chat int64, user domain.UserID, through, want int64, member bool) {
			t.Helper()
			pos, ok, err := s.MarkRead(ctx, tok, chat, user, through)
			must(t, err)
			if pos != want || ok != member {
				t.Fatalf("read %d through %d as %s: %d %v, want %d %v", chat, through, user, pos, ok, want, member)
			}
		}
		mark(1, "ann", 5, 5, true)
		mark(1, "ann", 3, 5, true) // never back
		mark(1, "ann", 8, 8, true)
		mark(2, "ann", 2, 2, true)
		mark(1, "bob", 4, 0, false)
		got, err := s.ReadPositions(ctx, tok, "ann", nil)
		must(t, err)
		if want := []domain.ReadPosition{{Chat: 1, Through: 8}, {Chat: 2, Through: 2}, {Chat: 3}}; !slices.Equal(got, want) {
			t.Fatalf("positions %+v, want %+v", got, want)
		}
		got, err = s.ReadPositions(ctx, tok, "ann", []int64{2, 9})
		must(t, err)
		if want := []domain.ReadPosition{{Chat: 2, Through: 2}}; !slices.Equal(got, want) {
			t.Fatalf("positions within 2 and 9: %+v", got)
		}
		if got, err = s.ReadPositions(ctx, tok, "bob", nil); err != nil || len(got) != 0 {
			t.Fatalf("a user of no chat: %+v %v", got, err)
		}
		// Leaving and joining again starts over.
		_, err = s.RemoveMember(ctx, tok, 1, "ann")
		must(t, err)
		_, err = s.JoinMember(ctx, tok, 1, domain.Member{User: "ann", Role: domain.RoleMember, JoinedAt: t0})
		must(t, err)
		mark(1, "ann", 0, 0, true)
	}}, storeCase{"a seed is what is persisted", func(t *testing.T, st Store) {
		s := st.(ReadsStore)
		tok := newApp(t, s, "Seeds").Token
		seed, err := s.TallySeed(ctx, tok, 1)
		must(t, err)
		if seed.Last != 0 || seed.LastMessage != nil || len(seed.Missing)+len(seed.Deleted)+len(seed.Own) != 0 {
			t.Fatalf("a chat not persisted: %+v", seed)
		}
		apply(t, s, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0})
		var events []domain.Event
		for _, n := range []int64{1, 2, 4, 5, 7} {
			events = append(events, withAuthor(domain.MessageCreated{Token: tok, Chat: 1, Number: n, Body: "body", CreatedAt: t0.Add(time.Duration(n) * time.Second)}, "ann"))
		}
		apply(t, s, events...)
		apply(t, s, domain.MessageDeleted{Token: tok, Chat: 1, Number: 7, Version: 1, DeletedAt: t0}, domain.MessageDeleted{Token: tok, Chat: 1, Number: 2, Version: 2, DeletedAt: t0})
		seed, err = s.TallySeed(ctx, tok, 1)
		must(t, err)
		if seed.Last != 7 || !slices.Equal(seed.Missing, []int64{3, 6}) || !slices.Equal(seed.Deleted, []int64{2, 7}) {
			t.Fatalf("seed %+v", seed)
		}
		if lm := seed.LastMessage; lm == nil || lm.Number != 5 || lm.Preview != "body" || !lm.CreatedAt.Equal(t0.Add(5*time.Second)) || !seed.ActiveAt.Equal(lm.CreatedAt) {
			t.Fatalf("newest %+v, active %v", seed.LastMessage, seed.ActiveAt)
		}
		if a := messageAuthor(events[0].(domain.MessageCreated)); a != "" {
			if want := []domain.Authored{{Number: 1, Author: a}, {Number: 4, Author: a}, {Number: 5, Author: a}}; !slices.Equal(seed.Own, want) {
				t.Fatalf("own %+v", seed.Own)
			}
		}
	}})
}
