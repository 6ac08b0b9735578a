package porttest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Queue is what EventQueueContract drives: the event queue and the
// sequencer that registers the applications it numbers for.
type Queue interface {
	ports.EventQueue
	ports.Sequencer
}

// EventQueueContract runs the ports.EventQueue suite. newQueue builds a
// fresh queue that seeds (or fences) a sequence it does not hold from seeds.
func EventQueueContract(t *testing.T, newQueue func(t *testing.T, seeds *Seeds) Queue) {
	ctx := context.Background()
	at := time.Date(2026, 5, 6, 7, 8, 9, 123456000, time.UTC)
	none := domain.Idempotency{}
	// number appends a draft and returns its number (a creation's) or version (an edit's).
	number := func(q Queue, draft domain.Event) (int64, error) {
		ev, replayed, err := q.Append(ctx, draft, none)
		if err != nil {
			return 0, err
		}
		if replayed {
			return 0, fmt.Errorf("Append(%v) without a key answered a replay", draft)
		}
		_, _, n, v, _ := domain.Subject(ev)
		if v > 0 {
			return v, nil
		}
		return n, nil
	}
	chat := func(tok domain.Token) domain.Event { return domain.ChatCreated{Token: tok, CreatedAt: at} }
	msg := func(tok domain.Token, c int64) domain.Event {
		return domain.MessageCreated{Token: tok, Chat: c, Body: "hi", CreatedAt: at}
	}
	edit := func(tok domain.Token, c, n int64) domain.Event {
		return domain.MessageEdited{Token: tok, Chat: c, Number: n, Body: "edited", EditedAt: at}
	}
	registered := func(t *testing.T, q Queue) domain.Token {
		t.Helper()
		tok := domain.NewToken()
		must(t, q.RegisterApplication(ctx, tok))
		return tok
	}
	t.Run("chat numbers start at 1 and grow by 1", func(t *testing.T) {
		q := newQueue(t, NewSeeds())
		tok := registered(t, q)
		for want := int64(1); want <= 3; want++ {
			if got, err := number(q, chat(tok)); err != nil || got != want {
				t.Fatalf("chat number %d, %v; want %d", got, err, want)
			}
		}
	})
	t.Run("the event appended is the draft with its number", func(t *testing.T) {
		q := newQueue(t, NewSeeds())
		tok := registered(t, q)
		_, _ = number(q, chat(tok))
		ev, _, err := q.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: `say "hi" \ é`, CreatedAt: at}, none)
		want := domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: `say "hi" \ é`, CreatedAt: at}
		if err != nil || ev != want {
			t.Fatalf("Append = %v, %v; want %v", ev, err, want)
		}
	})
	t.Run("registering twice does not restart the sequence", func(t *testing.T) {
		q := newQueue(t, NewSeeds())
		tok := registered(t, q)
		_, _ = number(q, chat(tok))
		must(t, q.RegisterApplication(ctx, tok))
		if got, err := number(q, chat(tok)); err != nil || got != 2 {
			t.Fatalf("chat number %d, %v after a second registration, want 2", got, err)
		}
	})
	t.Run("an unknown application is not found", func(t *testing.T) {
		q := newQueue(t, NewSeeds())
		_, err := number(q, chat(domain.NewToken()))
		wantNotFound(t, err)
		_, err = number(q, msg(domain.NewToken(), 1))
		wantNotFound(t, err)
	})
	t.Run("an application the queue never heard of resumes after the stored chats", func(t *testing.T) {
		seeds := NewSeeds()
		tok := domain.NewToken()
		seeds.Chats[tok] = 5
		seeds.Messages[domain.ChatKey{Token: tok, Number: 2}] = [2]int64{7, 3}
		q := newQueue(t, seeds)
		if got, err := number(q, chat(tok)); err != nil || got != 6 {
			t.Fatalf("chat number %d, %v; want 6", got, err)
		}
		if got, err := number(q, msg(tok, 2)); err != nil || got != 8 {
			t.Fatalf("message number %d, %v; want 8 (after the 7 stored)", got, err)
		}
		if got, err := number(q, edit(tok, 2, 7)); err != nil || got <= 3 {
			t.Fatalf("edit version %d, %v; want above the stored version 3", got, err)
		}
		if got, err := number(q, msg(tok, 6)); err != nil || got != 1 {
			t.Fatalf("message number in the new chat %d, %v; want 1", got, err)
		}
	})
	t.Run("messages are numbered per chat, only in numbered chats", func(t *testing.T) {
		q := newQueue(t, NewSeeds())
		tok := registered(t, q)
		_, _ = number(q, chat(tok))
		_, _ = number(q, chat(tok))
		for _, c := range []int64{1, 2} {
			for want := int64(1); want <= 3; want++ {
				if got, err := number(q, msg(tok, c)); err != nil || got != want {
					t.Fatalf("chat %d: message number %d, %v; want %d", c, got, err, want)
				}
			}
		}
		_, err := number(q, msg(tok, 3))
		wantNotFound(t, err)
	})
	t.Run("edits and deletes take growing versions of a numbered message", func(t *testing.T) {
		q := newQueue(t, NewSeeds())
		tok := registered(t, q)
		_, _ = number(q, chat(tok))
		_, err := number(q, edit(tok, 1, 1))
		wantNotFound(t, err)
		_, _ = number(q, msg(tok, 1))
		_, _ = number(q, msg(tok, 1))
		v1, err := number(q, edit(tok, 1, 2))
		must(t, err)
		v2, err := number(q, domain.MessageDeleted{Token: tok, Chat: 1, Number: 1, DeletedAt: at})
		must(t, err)
		if v1 < 1 || v2 <= v1 {
			t.Fatalf("versions %d then %d: want growing from 1", v1, v2)
		}
		_, err = number(q, edit(tok, 1, 3))
		wantNotFound(t, err)
		_, err = number(q, domain.MessageDeleted{Token: tok, Chat: 2, Number: 1, DeletedAt: at})
		wantNotFound(t, err)
	})
	t.Run("a retry with the same key answers the first event and takes no number", func(t *testing.T) {
		q := newQueue(t, NewSeeds())
		tok := registered(t, q)
		key := domain.Idempotency{Key: "k1", Fingerprint: "fp1"}
		first, replayed, err := q.Append(ctx, chat(tok), key)
		if err != nil || replayed {
			t.Fatalf("first Append: %v, replayed %v", err, replayed)
		}
		later := domain.ChatCreated{Token: tok, CreatedAt: at.Add(time.Minute)}
		again, replayed, err := q.Append(ctx, later, key)
		if err != nil || !replayed || again != first {
			t.Fatalf("retry = %v, replayed %v, %v; want %v replayed", again, replayed, err, first)
		}
		if _, _, err := q.Append(ctx, later, domain.Idempotency{Key: "k1", Fingerprint: "fp2"}); !errors.Is(err, domain.ErrIdempotencyKeyReused) {
			t.Fatalf("another fingerprint: %v, want ErrIdempotencyKeyReused", err)
		}
		if got, err := number(q, chat(tok)); err != nil || got != 2 {
			t.Fatalf("the next chat number %d, %v; want 2 (the retry took none)", got, err)
		}
		// An edit's key answers its version.
		_, _ = number(q, msg(tok, 1))
		ekey := domain.Idempotency{Key: "k2", Fingerprint: "fp"}
		e1, _, err := q.Append(ctx, edit(tok, 1, 1), ekey)
		must(t, err)
		e2, replayed, err := q.Append(ctx, edit(tok, 1, 1), ekey)
		if err != nil || !replayed || e2 != e1 {
			t.Fatalf("edit retry = %v, replayed %v, %v; want %v", e2, replayed, err, e1)
		}
		// Keys belong to their application.
		other := registered(t, q)
		if ev, replayed, err := q.Append(ctx, chat(other), key); err != nil || replayed || ev.(domain.ChatCreated).Number != 1 {
			t.Fatalf("the same key in another application: %v, replayed %v, %v", ev, replayed, err)
		}
	})
	t.Run("concurrent appends take every number once", func(t *testing.T) {
		q := newQueue(t, NewSeeds())
		tok := registered(t, q)
		_, _ = number(q, chat(tok))
		const n = 200
		got := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i], errs[i] = number(q, msg(tok, 1)) })
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		for i, v := range got {
			if v != int64(i+1) {
				t.Fatalf("sorted numbers[%d] = %d, want %d", i, v, i+1)
			}
		}
	})
}
