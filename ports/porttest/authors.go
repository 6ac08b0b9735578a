package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// authorsAreKept: a message's author is read back wherever the store reads
// messages (one, a page, the search fallback), also when an edit that did
// not know it overtook the creation, and a message without one has none.
func authorsAreKept(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "authors").Token
	apply(t, s, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "apple by ann", Author: "ann 名前", CreatedAt: t0},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "apple by no one", CreatedAt: t0})
	apply(t, s, domain.MessageEdited{Token: tok, Chat: 1, Number: 3, Body: "apple edited", Version: 1, EditedAt: t0.Add(time.Second)})
	apply(t, s, domain.MessageCreated{Token: tok, Chat: 1, Number: 3, Body: "apple by bob", Author: "bob", CreatedAt: t0})
	want := map[int64]string{1: "ann 名前", 2: "", 3: "bob"}
	for n, author := range want {
		m, err := s.Message(ctx, tok, 1, n)
		must(t, err)
		if m.Author != author {
			t.Errorf("message %d: author %q, want %q", n, m.Author, author)
		}
	}
	for _, m := range pageAndFallback(t, s, tok, 3) {
		if m.Author != want[m.Number] {
			t.Errorf("in a page or the search fallback: %d by %q", m.Number, m.Author)
		}
	}
}

// pageAndFallback reads chat 1's messages as a page and as the search
// fallback's hits for "apple": n of each, or the test fails.
func pageAndFallback(t *testing.T, s Store, tok domain.Token, n int) []domain.Message {
	t.Helper()
	ctx := context.Background()
	page, err := s.Messages(ctx, tok, 1, domain.PageRequest[int64]{Limit: 10})
	must(t, err)
	q, err := domain.NewSearchQuery("apple")
	must(t, err)
	hits, err := s.SearchMessages(ctx, tok, 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 10})
	must(t, err)
	if len(page.Items) != n || len(hits.Items) != n {
		t.Fatalf("%d messages, %d hits, want %d each", len(page.Items), len(hits.Items), n)
	}
	out := page.Items
	for _, h := range hits.Items {
		out = append(out, h.Message)
	}
	return out
}

// searchAuthors: a hit carries its message's author, also when an edit that
// did not know it was indexed first; a message without one has none.
func searchAuthors(t *testing.T, ix ports.SearchIndex) {
	ctx := context.Background()
	tok := domain.NewToken()
	byAnn := imsg(tok, 1, 1, "pear by ann")
	byAnn.Author = "ann 名前"
	late := imsg(tok, 1, 3, "pear by bob")
	late.Author = "bob"
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{byAnn, imsg(tok, 1, 2, "pear by no one"),
		{Token: tok, Chat: 1, Number: 3, Body: "pear edited", Version: 1, UpdatedAt: s0.Add(time.Second)}}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{late}))
	want := map[int64]string{1: "ann 名前", 2: "", 3: "bob"}
	hits := searchIndex(t, ix, tok, 1, "pear")
	if len(hits) != 3 {
		t.Fatalf("%d hits, want 3", len(hits))
	}
	for _, h := range hits {
		if h.Message.Author != want[h.Message.Number] {
			t.Errorf("hit %d: author %q, want %q", h.Message.Number, h.Message.Author, want[h.Message.Number])
		}
	}
}

// creationsInTheLog: Creation finds a message's creation (with its author)
// among a chat's events, not another chat's or application's, and not a
// number the chat has not reached.
func creationsInTheLog(t *testing.T, s LiveLogSetup) {
	ctx := context.Background()
	tok, other := domain.NewToken(), domain.NewToken()
	chat := domain.ChatKey{Token: tok, Number: 1}
	tail := startTail(t, s)
	s.Append([]domain.Event{
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "one", Author: "ann"},
		domain.MessageCreated{Token: tok, Chat: 2, Number: 1, Body: "another chat's", Author: "bob"},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "two"},
		domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "one!", Version: 3},
		domain.MessageCreated{Token: other, Chat: 1, Number: 3, Body: "another application's", Author: "carl"},
	})
	tail.wait(t, 5)
	for n, want := range map[int64]string{1: "ann", 2: ""} {
		c, found, err := s.Log.Creation(ctx, chat, n)
		if err != nil || !found || c.Number != n || c.Author != want {
			t.Fatalf("creation of %d: %+v, %v, %v; want by %q", n, c, found, err, want)
		}
	}
	for _, n := range []int64{3, 9} {
		if c, found, err := s.Log.Creation(ctx, chat, n); err != nil || found {
			t.Fatalf("creation of %d, which the chat has not: %+v, %v, %v", n, c, found, err)
		}
	}
}
