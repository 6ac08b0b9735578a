package porttest

import (
	"context"
	"testing"

	"github.com/chatsvc/chat/domain"
)

// ReadersContract runs the suite of the read ports (ports.ChatReader,
// ports.MessageReader): a chat and its messages are seen by their own
// application only.
func ReadersContract(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreCases(t, newStore,
		storeCase{"a chat's messages are invisible from another application", messagesInvisibleFromAnotherApplication},
	)
}

func messagesInvisibleFromAnotherApplication(t *testing.T, s Store) {
	ctx := context.Background()
	a, b := newApp(t, s, "a"), newApp(t, s, "b")
	apply(t, s, domain.ChatCreated{Token: a.Token, Number: 1, CreatedAt: t0},
		domain.MessageCreated{Token: a.Token, Chat: 1, Number: 1, Body: "secret", CreatedAt: t0})
	_, err := s.Message(ctx, b.Token, 1, 1)
	wantNotFound(t, err)
	_, err = s.Chat(ctx, b.Token, 1)
	wantNotFound(t, err)
	wantNotFound(t, s.ChatExists(ctx, b.Token, 1))
	wantNotFound(t, s.ChatExists(ctx, a.Token, 2))
	must(t, s.ChatExists(ctx, a.Token, 1))
}
