package porttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// NoticesContract runs the ports.Notices suite. newNotices gives the
// port as one api instance sees it; called twice in a test, the two share
// the channel as two instances do.
func NoticesContract(t *testing.T, newNotices func(t *testing.T) ports.Notices) {
	// listen starts a listener and waits until it is ready.
	listen := func(t *testing.T, n ports.Notices) (<-chan domain.Notice, context.CancelFunc, <-chan error) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		got, done := make(chan domain.Notice, 16), make(chan error, 1)
		ready := make(chan struct{})
		var once sync.Once
		go func() {
			done <- n.Listen(ctx, func() { once.Do(func() { close(ready) }) }, func(x domain.Notice) { got <- x })
		}()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("Listen ended before it was ready: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("Listen was not ready within 10 s")
		}
		t.Cleanup(cancel)
		return got, cancel, done
	}
	receive := func(t *testing.T, got <-chan domain.Notice, who string) domain.Notice {
		t.Helper()
		select {
		case n := <-got:
			return n
		case <-time.After(10 * time.Second):
			t.Fatalf("%s received nothing within 10 s", who)
		}
		return domain.Notice{}
	}

	t.Run("every listener receives every notice, whole, in the order published", func(t *testing.T) {
		a, b := newNotices(t), newNotices(t)
		gotA, _, _ := listen(t, a)
		gotB, _, _ := listen(t, b)
		app := domain.NewToken()
		at := time.Date(2026, 12, 3, 17, 0, 0, 123456000, time.UTC)
		sent := []domain.Notice{
			{Kind: domain.NoticeTyping, App: app, Chat: 3, User: "ann", At: at},
			{Kind: domain.NoticeReadUpdated, App: app, Chat: 3, User: "bob", Through: 42, At: at},
			{Kind: domain.NoticeMemberAdded, App: app, Chat: 4, User: "cy", Role: domain.RoleModerator, Position: "17-2", At: at},
		}
		must(t, a.Publish(context.Background(), sent[0]))
		must(t, b.Publish(context.Background(), sent[1]))
		must(t, a.Publish(context.Background(), sent[2]))
		for _, l := range []struct {
			name string
			got  <-chan domain.Notice
		}{{"the publisher's instance", gotA}, {"another instance", gotB}} {
			var order []domain.Notice
			for range sent {
				order = append(order, receive(t, l.got, l.name))
			}
			// Two publishers' notices may interleave; each one's keep their order.
			if order[0] != sent[0] && order[1] != sent[0] {
				t.Fatalf("%s: %+v, want %+v first of a's", l.name, order, sent[0])
			}
			for _, want := range sent {
				found := false
				for _, g := range order {
					if g.Kind == want.Kind && g.App == want.App && g.Chat == want.Chat && g.User == want.User &&
						g.Through == want.Through && g.Role == want.Role && g.Position == want.Position && g.At.Equal(want.At) {
						found = true
					}
				}
				if !found {
					t.Fatalf("%s received %+v, missing %+v", l.name, order, want)
				}
			}
		}
	})

	t.Run("Listen returns nil when its context ends", func(t *testing.T) {
		n := newNotices(t)
		_, cancel, done := listen(t, n)
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Listen: %v, want nil after its context ended", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Listen still running 10 s after its context ended")
		}
	})
}
