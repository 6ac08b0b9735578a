package porttest

import (
	"context"
	"testing"

	"github.com/chatsvc/chat/domain"
)

// chatSetupIsKeptOnce: a chat's creation event sets it up (its creator as
// moderator, its visibility) in the chat's own write, unless the api's
// record did first; a redelivered event never brings back a member removed
// since.
func chatSetupIsKeptOnce(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "setup").Token
	rights := func(chat int64, user domain.UserID) domain.ChatRights {
		t.Helper()
		r, err := s.ChatRights(ctx, tok, chat, user)
		must(t, err)
		return r
	}
	byAnn := domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0, Creator: "ann", Visibility: domain.VisibilityPrivate}
	apply(t, s, byAnn,
		domain.ChatCreated{Token: tok, Number: 2, CreatedAt: t0, Visibility: domain.VisibilityPublic},
		domain.ChatCreated{Token: tok, Number: 3, CreatedAt: t0})
	if r := rights(1, "ann"); r.Role != domain.RoleModerator || r.Visibility != domain.VisibilityPrivate {
		t.Fatalf("the creator of chat 1: %+v", r)
	}
	if r := rights(2, "bob"); r.Role != "" || r.Visibility != domain.VisibilityPublic {
		t.Fatalf("public chat 2: %+v", r)
	}
	if r := rights(3, "ann"); r.Role != "" || r.Visibility != domain.VisibilityPrivate {
		t.Fatalf("chat 3, without a setup: %+v", r)
	}
	// Ann leaves; her chat's event, redelivered, does not make her a member again.
	removed, err := s.RemoveMember(ctx, tok, 1, "ann")
	must(t, err)
	apply(t, s, byAnn)
	if r := rights(1, "ann"); !removed || r.Role != "" {
		t.Fatalf("after leaving and a redelivery: %+v (removed %v)", r, removed)
	}
	// The api's record came first: the event adds no one.
	must(t, s.SetUpChat(ctx, tok, 4, domain.VisibilityPrivate, []domain.Member{{User: "bob", Role: domain.RoleModerator, JoinedAt: t0}}))
	apply(t, s, domain.ChatCreated{Token: tok, Number: 4, CreatedAt: t0, Creator: "carl"})
	if r := rights(4, "carl"); r.Role != "" {
		t.Fatalf("chat 4 set up by the api: the event added %+v", r)
	}
}
