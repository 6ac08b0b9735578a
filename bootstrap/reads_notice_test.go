package bootstrap_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// A read is told to the user's other connections (read.updated, through
// ports.Notices), on both profiles; a read that moves nothing is not.
func TestReadUpdatedIsNoticed(t *testing.T) {
	for _, profile := range []string{"embedded", "production"} {
		t.Run(profile, func(t *testing.T) {
			var notices ports.Notices
			var s *stack
			if profile == "embedded" {
				s = embeddedStack(t, nil, fx.Populate(&notices))
			} else {
				s = productionStack(t, nil, fx.Populate(&notices))
			}
			tok, _, tokens := membersApplication(t, s)
			app := "/api/v1/chat_applications/" + tok
			heard := make(chan domain.Notice, 8)
			ready := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				_ = notices.Listen(ctx, func() { close(ready) }, func(n domain.Notice) {
					if n.Kind == domain.NoticeReadUpdated {
						heard <- n
					}
				})
			}()
			<-ready
			s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": 2}, bearerHeader(tokens[userMember])...).want(t, 200)
			s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": 1}, bearerHeader(tokens[userMember])...).want(t, 200)
			select {
			case n := <-heard:
				if n.App != domain.Token(tok) || n.Chat != 1 || n.User != "mem" || n.Through != 2 {
					t.Fatalf("notice %+v", n)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no read.updated")
			}
			s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": 2}, bearerHeader(tokens[userModerator])...).want(t, 200)
			// The moderator's notice comes after any the lower read could have sent.
			select {
			case n := <-heard:
				if n.User != "mod" {
					t.Fatalf("a read that moved nothing was noticed: %+v", n)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no read.updated for the moderator's read")
			}
		})
	}
}
