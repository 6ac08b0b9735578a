package porttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

// repliesAreCounted: a message's replies are paged by number, and its
// reply_count is exact once the projection applied them, also after a
// redelivery, a deletion of a reply, and a reply whose edit overtook it.
func repliesAreCounted(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "replies").Token
	reply := func(n, parent int64) domain.MessageCreated {
		return domain.MessageCreated{Token: tok, Chat: 1, Number: n, Body: fmt.Sprintf("reply %d", n), ReplyTo: parent, CreatedAt: t0}
	}
	apply(t, s, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "parent", CreatedAt: t0}, reply(2, 1), reply(3, 1), reply(4, 3))
	apply(t, s, reply(2, 1), reply(5, 1)) // a redelivery beside a new one
	apply(t, s, domain.MessageDeleted{Token: tok, Chat: 1, Number: 3, Version: 1, DeletedAt: t0.Add(time.Second)})
	apply(t, s, domain.MessageEdited{Token: tok, Chat: 1, Number: 6, Body: "edited first", Version: 2, EditedAt: t0.Add(2 * time.Second)})
	apply(t, s, reply(6, 1))

	check := func(parent int64, count int64, want string) {
		t.Helper()
		m, err := s.Message(ctx, tok, 1, parent)
		must(t, err)
		page, err := s.Replies(ctx, tok, 1, parent, domain.PageRequest[int64]{Limit: 10})
		must(t, err)
		got := ""
		for _, r := range page.Items {
			got += fmt.Sprintf("%d>%d ", r.Number, r.ReplyTo)
		}
		if m.ReplyCount != count || got != want {
			t.Errorf("message %d: %d replies [%s], want %d [%s]", parent, m.ReplyCount, got, count, want)
		}
	}
	check(1, 3, "2>1 5>1 6>1 ")
	check(2, 0, "")
	// Paged backwards, from the newest, two at a time.
	page, err := s.Replies(ctx, tok, 1, 1, domain.PageRequest[int64]{Limit: 2, Before: 7, Backward: true})
	must(t, err)
	if len(page.Items) != 2 || page.Items[0].Number != 6 || page.Items[1].Number != 5 || !page.HasMore {
		t.Errorf("the newest two replies: %+v", page)
	}
}
