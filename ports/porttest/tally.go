package porttest

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// SeedsFunc is a ports.TallySeeds from a function.
type SeedsFunc func(token domain.Token, chat int64) domain.TallySeed

func (f SeedsFunc) TallySeed(_ context.Context, token domain.Token, chat int64) (domain.TallySeed, error) {
	return f(token, chat), nil
}

// noSeeds is a store that has persisted nothing yet.
var noSeeds = SeedsFunc(func(domain.Token, int64) domain.TallySeed { return domain.TallySeed{} })

// tallyModel is the truth a tally must agree with: the messages recorded,
// who wrote them, which are deleted.
type tallyModel struct {
	author  map[int64]domain.UserID
	deleted map[int64]bool
}

func (m tallyModel) unread(user domain.UserID, through int64) int64 {
	var n int64
	for number, a := range m.author {
		if number > through && !m.deleted[number] && (a == "" || a != user) {
			n++
		}
	}
	return n
}

// ChatTallyContract runs the ports.ChatTally suite. newTallies makes two
// tallies over the same state (two api instances), built from seeds when a
// chat's tally is missing.
func ChatTallyContract(t *testing.T, newTallies func(t *testing.T, seeds ports.TallySeeds) (ports.ChatTally, ports.ChatTally)) {
	ctx := context.Background()
	users := []domain.UserID{"ann", "bob", "carl"}
	summary := func(t *testing.T, tally ports.ChatTally, tok domain.Token, user domain.UserID, chat, through int64) domain.ChatSummary {
		t.Helper()
		s, err := tally.Summaries(ctx, tok, user, []domain.ReadPosition{{Chat: chat, Through: through}})
		must(t, err)
		if len(s) != 1 || s[0].Chat != chat || s[0].ReadThrough != through {
			t.Fatalf("summaries %+v", s)
		}
		return s[0]
	}
	created := func(tok domain.Token, n int64, author domain.UserID, body string) domain.MessageCreated {
		return withAuthor(domain.MessageCreated{Token: tok, Chat: 1, Number: n, Body: body, CreatedAt: t0.Add(time.Duration(n) * time.Second)}, author)
	}

	t.Run("unread counts agree with the messages under posts, deletes, late and repeated records", func(t *testing.T) {
		a, b := newTallies(t, noSeeds)
		tok := domain.NewToken()
		must(t, a.Record(ctx, []domain.Event{domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0}}, true))
		model := tallyModel{author: map[int64]domain.UserID{}, deleted: map[int64]bool{}}
		rng := rand.New(rand.NewPCG(1, 2))
		var next int64
		for step := 0; step < 300; step++ {
			tally := []ports.ChatTally{a, b}[rng.IntN(2)]
			switch op := rng.IntN(10); {
			case op < 6: // a create, sometimes recorded after the next one
				next++
				n, author := next, users[rng.IntN(len(users))]
				if rng.IntN(3) == 0 {
					author = "" // the application's own message
				}
				if rng.IntN(4) == 0 {
					next++
					later := created(tok, next, "ann", "later")
					must(t, tally.Record(ctx, []domain.Event{later}, true))
					model.author[next] = messageAuthor(later)
				}
				e := created(tok, n, author, "body")
				must(t, tally.Record(ctx, []domain.Event{e}, true))
				model.author[n] = messageAuthor(e)
			case op < 8 && next > 0: // a delete, sometimes of a number not recorded yet
				n := 1 + rng.Int64N(next+1)
				must(t, tally.Record(ctx, []domain.Event{domain.MessageDeleted{Token: tok, Chat: 1, Number: n, DeletedAt: t0}}, true))
				model.deleted[n] = true
				if n > next {
					next = n
				}
			case next > 0: // a record again (the worker's, once persisted)
				n := 1 + rng.Int64N(next)
				if a, ok := model.author[n]; ok {
					must(t, tally.Record(ctx, []domain.Event{created(tok, n, a, "body")}, false))
				}
			}
			for _, u := range users {
				through := rng.Int64N(next + 2)
				s := summary(t, []ports.ChatTally{a, b}[rng.IntN(2)], tok, u, 1, through)
				if want := model.unread(u, through); s.Unread != want {
					t.Fatalf("step %d: %s after %d: unread %d, the messages say %d", step, u, through, s.Unread, want)
				}
			}
		}
	})

	t.Run("the newest message, its edits and its deletion; activity", func(t *testing.T) {
		a, b := newTallies(t, noSeeds)
		tok := domain.NewToken()
		must(t, a.Record(ctx, []domain.Event{domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0}}, true))
		if s := summary(t, b, tok, "ann", 1, 0); s.LastMessage != nil || s.Last != 0 || s.Unread != 0 || !s.ActiveAt.Equal(t0) {
			t.Fatalf("an empty chat: %+v", s)
		}
		first, second := created(tok, 1, "ann", "first"), created(tok, 2, "bob", "second")
		must(t, a.Record(ctx, []domain.Event{second, first}, true))
		s := summary(t, b, tok, "ann", 1, 0)
		annUnread := tallyModel{author: map[int64]domain.UserID{1: messageAuthor(first), 2: messageAuthor(second)}}.unread("ann", 0)
		if lm := s.LastMessage; lm == nil || lm.Number != 2 || lm.Author != messageAuthor(second) || lm.Preview != "second" || !lm.CreatedAt.Equal(t0.Add(2*time.Second)) {
			t.Fatalf("newest: %+v", s.LastMessage)
		}
		if acts, err := a.Activity(ctx, tok, []int64{1}); err != nil || len(acts) != 1 || !acts[0].Equal(s.ActiveAt) {
			t.Fatalf("activity %v %v, the summary says %v", acts, err, s.ActiveAt)
		}
		if !s.ActiveAt.Equal(t0.Add(2*time.Second)) || s.Unread != annUnread || s.Live != 2 || s.Last != 2 {
			t.Fatalf("summary %+v", s)
		}
		must(t, b.Record(ctx, []domain.Event{domain.MessageEdited{Token: tok, Chat: 1, Number: 2, Body: "edited", Version: 1, EditedAt: t0}}, true))
		if lm := summary(t, a, tok, "ann", 1, 0).LastMessage; lm == nil || lm.Preview != "edited" {
			t.Fatalf("after an edit: %+v", lm)
		}
		must(t, b.Record(ctx, []domain.Event{domain.MessageDeleted{Token: tok, Chat: 1, Number: 2, Version: 2, DeletedAt: t0}}, true))
		must(t, b.Record(ctx, []domain.Event{created(tok, 1, "ann", "first")}, false))
		if s := summary(t, a, tok, "ann", 1, 0); s.LastMessage != nil || s.Live != 1 || s.Unread != annUnread-1 {
			t.Fatalf("the newest deleted: %+v (the store tells the newest left)", s)
		}
		long := strings.Repeat("ö", domain.PreviewRunes+10)
		must(t, a.Record(ctx, []domain.Event{created(tok, 3, "", long)}, true))
		if lm := summary(t, b, tok, "ann", 1, 0).LastMessage; lm == nil || len([]rune(lm.Preview)) != domain.PreviewRunes || lm.Author != "" {
			t.Fatalf("a long body's preview: %+v", lm)
		}
	})

	t.Run("a missing tally is built from the store, then kept", func(t *testing.T) {
		tok := domain.NewToken()
		lm := &domain.LastMessage{Number: 9, Author: "bob", Preview: "nine", CreatedAt: t0}
		seeds := SeedsFunc(func(tk domain.Token, chat int64) domain.TallySeed {
			if tk != tok || chat != 4 {
				return domain.TallySeed{}
			}
			return domain.TallySeed{Last: 10, Missing: []int64{3}, Deleted: []int64{5, 10}, LastMessage: lm, ActiveAt: t0,
				Own: []domain.Authored{{Number: 1, Author: "ann"}, {Number: 6, Author: "ann"}, {Number: 9, Author: "bob"}}}
		})
		a, b := newTallies(t, seeds)
		// 1..10 less 3 (missing), 5 and 10 (deleted): 7 messages, ann's 1 and 6.
		if s := summary(t, a, tok, "ann", 4, 0); s.Unread != 5 || s.Last != 10 || s.Live != 7 || s.LastMessage == nil || *s.LastMessage != *lm {
			t.Fatalf("seeded: %+v", s)
		}
		must(t, b.Record(ctx, []domain.Event{
			domain.MessageCreated{Token: tok, Chat: 4, Number: 3, Body: "late", CreatedAt: t0},
			domain.MessageDeleted{Token: tok, Chat: 4, Number: 6, DeletedAt: t0},
			domain.MessageCreated{Token: tok, Chat: 4, Number: 12, Body: "new", CreatedAt: t0.Add(time.Hour)}}, true))
		// 11 is on its way: not counted until recorded.
		if s := summary(t, a, tok, "ann", 4, 2); s.Unread != 6 || s.Last != 12 || !s.ActiveAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after records: %+v", s)
		}
		acts, err := b.Activity(ctx, tok, []int64{4, 99})
		must(t, err)
		if len(acts) != 2 || !acts[0].Equal(t0.Add(time.Hour)) || !acts[1].IsZero() {
			t.Fatalf("activity of chat 4 and of one the store does not have: %v", acts)
		}
		if s := summary(t, b, tok, "bob", 4, 20); s.Unread != 0 || s.ReadThrough != 20 {
			t.Fatalf("a position beyond the last: %+v", s)
		}
	})
}
