package porttest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// LiveLogSetup is a live log under test and how events reach it.
type LiveLogSetup struct {
	Log ports.LiveLog
	// Append does what the queue does with committed, numbered events.
	Append func(events []domain.Event)
	// Drop makes the log forget every event it holds, as its retention
	// would; when nil, the suite appends Keep events instead (a log that
	// keeps the last Keep).
	Drop func()
	Keep int
}

// LiveLogContract runs the ports.LiveLog suite; newLog builds an empty log.
func LiveLogContract(t *testing.T, newLog func(t *testing.T) LiveLogSetup) {
	t.Run("the tail delivers each chat's message events in order, from its start", func(t *testing.T) {
		s := newLog(t)
		tok, other := domain.NewToken(), domain.NewToken()
		chat := domain.ChatKey{Token: tok, Number: 1}
		s.Append([]domain.Event{domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "before the tail"}})
		tail := startTail(t, s)
		s.Append([]domain.Event{
			domain.ChatCreated{Token: tok, Number: 2},
			domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "two"},
			domain.MessageCreated{Token: other, Chat: 1, Number: 1, Body: "elsewhere"},
			domain.MessageEdited{Token: tok, Chat: 1, Number: 2, Body: "two, edited", Version: 3},
			domain.MessageDeleted{Token: tok, Chat: 1, Number: 1, Version: 4},
		})
		got := tail.wait(t, 4)
		var mine []domain.LiveEvent
		for _, e := range got {
			if e.Chat() == chat {
				mine = append(mine, e)
			}
		}
		if len(got) != 4 || len(mine) != 3 {
			t.Fatalf("tailed %d events (%d of the chat), want 4 (3): a chat creation is not a message event, the first came before the tail", len(got), len(mine))
		}
		if c, ok := mine[0].Event.(domain.MessageCreated); !ok || c.Body != "two" {
			t.Fatalf("first tailed %+v", mine[0])
		}
		if _, ok := mine[2].Event.(domain.MessageDeleted); !ok {
			t.Fatalf("last tailed %+v", mine[2])
		}
		for i, e := range mine {
			if !s.Log.Valid(e.Position) {
				t.Fatalf("position %q is not valid", e.Position)
			}
			if i > 0 && (!s.Log.Before(mine[i-1].Position, e.Position) || s.Log.Before(e.Position, mine[i-1].Position)) {
				t.Fatalf("positions out of order: %+v", mine)
			}
		}
		// Read back after the first tailed event: the edit and the delete.
		back, err := s.Log.Since(context.Background(), chat, mine[0].Position)
		if err != nil || len(back) != 2 || back[0] != mine[1] || back[1] != mine[2] {
			t.Fatalf("since %s: %+v %v; want %+v", mine[0].Position, back, err, mine[1:])
		}
		if back, err := s.Log.Since(context.Background(), chat, mine[2].Position); err != nil || len(back) != 0 {
			t.Fatalf("since the last: %+v %v", back, err)
		}
	})
	t.Run("a position the log no longer reaches back to is gone", func(t *testing.T) {
		s := newLog(t)
		tok := domain.NewToken()
		chat := domain.ChatKey{Token: tok, Number: 1}
		tail := startTail(t, s)
		s.Append([]domain.Event{
			domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "one"},
			domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "two"},
		})
		first := tail.wait(t, 2)[0]
		if s.Drop != nil {
			s.Drop()
		} else {
			var more []domain.Event
			for i := range s.Keep {
				more = append(more, domain.MessageCreated{Token: domain.NewToken(), Chat: 1, Number: int64(i + 1), Body: "more"})
			}
			s.Append(more)
		}
		if _, err := s.Log.Since(context.Background(), chat, first.Position); !errors.Is(err, domain.ErrPositionGone) {
			t.Fatalf("since a position retention passed: %v, want ErrPositionGone", err)
		}
	})
	t.Run("a creation still in the log is found, with its author", func(t *testing.T) { creationsInTheLog(t, newLog(t)) })
	t.Run("an application's events after its head, every chat of it in one order", func(t *testing.T) {
		s := newLog(t)
		tok, other := domain.NewToken(), domain.NewToken()
		tail := startTail(t, s)
		s.Append([]domain.Event{domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "before the head"}})
		tail.wait(t, 1)
		head, err := s.Log.Head(context.Background(), tok)
		if err != nil || !s.Log.Valid(head) {
			t.Fatalf("head %q, %v", head, err)
		}
		s.Append([]domain.Event{
			domain.MessageCreated{Token: tok, Chat: 2, Number: 1, Body: "a"},
			domain.MessageCreated{Token: other, Chat: 1, Number: 1, Body: "elsewhere"},
			domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "b", Version: 2},
		})
		// The other application's event may sit in another partition, which
		// the tail hands over in its own order: only tok's order is defined.
		var want []domain.LiveEvent
		for _, e := range tail.wait(t, 4)[1:] {
			if e.Chat().Token == tok {
				want = append(want, e)
			}
		}
		back, err := s.Log.Since(context.Background(), domain.ChatKey{Token: tok}, head)
		if err != nil || len(back) != 2 || len(want) != 2 || back[0] != want[0] || back[1] != want[1] {
			t.Fatalf("since the head: %+v %v; want %+v", back, err, want)
		}
		if !s.Log.Before(head, back[0].Position) {
			t.Fatalf("head %s is not before %s, appended after it", head, back[0].Position)
		}
		fresh := domain.NewToken()
		if head, err := s.Log.Head(context.Background(), fresh); err != nil {
			t.Fatalf("the head of an application with no events: %v", err)
		} else if back, err := s.Log.Since(context.Background(), domain.ChatKey{Token: fresh}, head); err != nil || len(back) != 0 {
			t.Fatalf("since the head of an application with no events: %+v %v", back, err)
		}
	})
	t.Run("positions of another form are not valid", func(t *testing.T) {
		s := newLog(t)
		for _, p := range []string{"", "x", "1", "1-", "-1", "1-2-3", "99999999999999999999999-0", "1-0 "} {
			if s.Log.Valid(p) {
				t.Fatalf("%q is valid", p)
			}
		}
	})
}

// tailed collects what a tail hands over.
type tailed struct {
	mu      sync.Mutex
	events  []domain.LiveEvent
	probes  int
	changed chan struct{} // closed, and replaced, at every event handed over
}

// seen is what was handed over so far, and a channel closed at the next event.
func (tl *tailed) seen() (events []domain.LiveEvent, probes int, changed <-chan struct{}) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]domain.LiveEvent(nil), tl.events...), tl.probes, tl.changed
}

// probe is the chat of the events startTail appends until the tail
// delivers one: then it is tailing, whatever it does to find where the
// log ends.
var probe = domain.ChatKey{Token: domain.NewToken(), Number: 1}

// startTail tails the log until the test ends, from once the tail is
// running (probe events are not collected).
func startTail(t *testing.T, s LiveLogSetup) *tailed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	tl := &tailed{changed: make(chan struct{})}
	go func() {
		done <- s.Log.Tail(ctx, func(e domain.LiveEvent) {
			tl.mu.Lock()
			defer tl.mu.Unlock()
			close(tl.changed)
			tl.changed = make(chan struct{})
			if e.Chat() == probe {
				tl.probes++
				return
			}
			tl.events = append(tl.events, e)
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("tail: %v", err)
		}
	})
	// A probe appended before the tail found the log's end is never handed
	// over: another follows each little while until one is.
	deadline := time.After(10 * time.Second)
	for n := int64(1); ; n++ {
		s.Append([]domain.Event{domain.MessageCreated{Token: probe.Token, Chat: probe.Number, Number: n, Body: "probe"}})
		retry := time.After(20 * time.Millisecond)
		for waiting := true; waiting; {
			_, probes, changed := tl.seen()
			if probes > 0 {
				return tl
			}
			select {
			case <-changed:
			case <-retry:
				waiting = false
			case <-deadline:
				t.Fatal("the tail delivered nothing")
			}
		}
	}
}

// wait returns the first n events tailed, waiting up to a few seconds.
func (tl *tailed) wait(t *testing.T, n int) []domain.LiveEvent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		got, _, changed := tl.seen()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("tailed %d events, want %d", len(got), n)
		}
	}
}
