package bootstrap_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// failingSetUp is a member store whose record of a new chat's setup fails,
// as it would with the database gone between the chat's number and it.
type failingSetUp struct{ ports.MemberStore }

func (failingSetUp) SetUpChat(context.Context, domain.Token, int64, domain.Visibility, []domain.Member) error {
	return domain.Unavailable("mysql", errors.New("gone"))
}

// A user's chat has its creator as moderator even when the api's record of
// it failed (the user got a 503 after the number was taken): the chat's
// creation event carries its setup, which the store keeps in the chat's own
// write, and the creator reaches the chat, on both profiles.
func TestChatSetUpByItsOwnEvent(t *testing.T) {
	failing := fx.Decorate(func(m ports.MemberStore) ports.MemberStore { return failingSetUp{m} })
	for name, start := range map[string]func(*testing.T) *stack{
		"embedded":   func(t *testing.T) *stack { return embeddedStack(t, nil, failing) },
		"production": func(t *testing.T) *stack { return productionStack(t, nil, failing) },
	} {
		t.Run(name, func(t *testing.T) {
			s := start(t)
			r := s.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Setup"}).want(t, 201)
			app, secret := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
			s.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(secret)...).want(t, 200)
			ann := bearerHeader(mint(t, secret, "ann", nil, nil))
			if r := s.call(t, "POST", app+"/chats", map[string]any{"visibility": "public"}, ann...); r.Status != 503 {
				t.Fatalf("the chat's creation, its setup's record failing: %d %s", r.Status, r.Raw)
			}
			eventually(t, "the creator reaches the chat as its moderator", func() bool {
				m := s.call(t, "GET", app+"/chats/1/members", nil, ann...)
				return m.Status == 200 && strings.Contains(m.Raw, `"user_id":"ann","role":"moderator"`)
			})
			bob := bearerHeader(mint(t, secret, "bob", nil, nil))
			s.call(t, "GET", app+"/chats/1", nil, bob...).want(t, 200) // public, as the event said
		})
	}
}
