package porttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Attributes as a client sends them (compacted): member order, number
// spelling and escapes are theirs and must come back as they are.
const (
	attrsA = `{"z":1.50,"a":"\u00e9<&>"}`
	attrsB = `{"b":[1,{"c":null}]}`
	attrsC = `{"c":true}`
)

// structureWant is each message's type and attributes, by number.
var structureWant = map[int64]string{1: "card.v1 " + attrsB, 2: "text ", 3: "poll ", 4: "poll " + attrsC}

func structureOf(m domain.Message) string { return domain.TypeOf(m.Type) + " " + m.Attributes }

// structureIsKept: a message's type and attributes are read back wherever
// the store reads messages; an edit keeps the type, and keeps, replaces or
// clears the attributes, and an edit that overtook the creation (knowing
// neither) leaves the creation's.
func structureIsKept(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "structure").Token
	edit := func(n, v int64, attrs string, replace bool) domain.MessageEdited {
		return domain.MessageEdited{Token: tok, Chat: 1, Number: n, Body: fmt.Sprintf("apple edit %d", v), Attributes: attrs, NewAttributes: replace,
			Version: v, EditedAt: t0.Add(time.Duration(v) * time.Second)}
	}
	apply(t, s, domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "apple card", Type: "card.v1", Attributes: attrsA, CreatedAt: t0},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "apple text", CreatedAt: t0},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 3, Body: "apple poll", Type: "poll", Attributes: attrsC, CreatedAt: t0})
	apply(t, s, edit(1, 1, "", false), edit(1, 2, attrsB, true), edit(3, 3, "", true), edit(4, 4, "", false))
	apply(t, s, domain.MessageCreated{Token: tok, Chat: 1, Number: 4, Body: "apple late", Type: "poll", Attributes: attrsC, CreatedAt: t0})
	for n, want := range structureWant {
		m, err := s.Message(ctx, tok, 1, n)
		must(t, err)
		if got := structureOf(m); got != want {
			t.Errorf("message %d: %q, want %q", n, got, want)
		}
	}
	for _, m := range pageAndFallback(t, s, tok, 4) {
		if structureOf(m) != structureWant[m.Number] {
			t.Errorf("in a page or the search fallback: %d %q", m.Number, structureOf(m))
		}
	}
}

// searchStructure: a hit carries its message's type and attributes, as the
// store keeps them (structureIsKept), never matched by a search.
func searchStructure(t *testing.T, ix ports.SearchIndex) {
	ctx := context.Background()
	tok := domain.NewToken()
	with := func(m domain.IndexedMessage, typ, attrs string, replace bool) domain.IndexedMessage {
		m.Type, m.Attributes, m.NewAttributes = typ, attrs, replace
		return m
	}
	edit := func(n, v int64, attrs string, replace bool) domain.IndexedMessage {
		return with(domain.IndexedMessage{Token: tok, Chat: 1, Number: n, Body: fmt.Sprintf("pear edit %d", v), Version: v,
			UpdatedAt: s0.Add(time.Duration(v) * time.Second)}, "", attrs, replace)
	}
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{
		with(imsg(tok, 1, 1, "pear card"), "card.v1", attrsA, false), imsg(tok, 1, 2, "pear text"),
		with(imsg(tok, 1, 3, "pear poll"), "poll", attrsC, false)}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{edit(1, 1, "", false), edit(1, 2, attrsB, true), edit(3, 3, "", true), edit(4, 4, "", false)}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{with(imsg(tok, 1, 4, "pear late"), "poll", attrsC, false)}))
	hits := searchIndex(t, ix, tok, 1, "pear")
	if len(hits) != 4 {
		t.Fatalf("%d hits, want 4", len(hits))
	}
	for _, h := range hits {
		if got := structureOf(h.Message); got != structureWant[h.Message.Number] {
			t.Errorf("hit %d: %q, want %q", h.Message.Number, got, structureWant[h.Message.Number])
		}
	}
	if hits := searchIndex(t, ix, tok, 1, "card.v1"); len(hits) != 0 {
		t.Errorf("the type was searched: %d hits", len(hits))
	}
	if hits := searchIndex(t, ix, tok, 1, "1.50"); len(hits) != 0 {
		t.Errorf("the attributes were searched: %d hits", len(hits))
	}
}
