package opensearch_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func newIndex(t *testing.T) *opensearch.Index {
	t.Helper()
	url, alias := testenv.OpenSearchURL(t)
	ix, err := opensearch.New(opensearch.Config{URL: url, Alias: alias, Refresh: "wait_for"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ix
}

func msg(tok domain.Token, chat, n int64, body string) domain.IndexedMessage {
	return domain.IndexedMessage{Token: tok, Chat: chat, Number: n, Body: body, CreatedAt: t0, UpdatedAt: t0}
}

func search(t *testing.T, ix *opensearch.Index, tok domain.Token, chat int64, q string) []domain.Hit {
	t.Helper()
	sq, err := domain.NewSearchQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ix.Search(context.Background(), tok, chat, sq, domain.PageRequest[domain.SearchCursor]{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func numbers(hits []domain.Hit) string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprint(h.Message.Number))
	}
	return strings.Join(out, ",")
}

func TestSearchSemantics(t *testing.T) {
	ix := newIndex(t)
	ctx := context.Background()
	tok, other := domain.NewToken(), domain.NewToken()
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{
		msg(tok, 1, 1, "Hello world"),
		msg(tok, 1, 2, "hello there"),
		msg(tok, 1, 3, "Un café au lait"),
		msg(tok, 1, 4, "nothing to see"),
		msg(tok, 1, 5, "HELLO HELLO hello, wonderful world"),
		msg(tok, 1, 6, "a b c xy"),
		msg(tok, 2, 1, "hello from chat 2"),
		msg(other, 1, 1, "hello from another application"),
	}))
	for _, c := range []struct{ q, want string }{
		{"hel", "1,2,5"},     // a prefix
		{"ello", "1,2,5"},    // inside a word
		{"HELLO", "1,2,5"},   // case
		{"hello wor", "1,5"}, // every term must match
		{"wor hello", "1,5"}, // in any order
		{"cafe", "3"},        // accents folded
		{"CAFÉ", "3"},        // both ways
		{"afe", "3"},         // inside, folded
		{"xy", "6"},          // a two-character term
		{"e", "1,2,3,4,5"},   // a one-character term, inside words
		{"hello zzz", ""},    // a missing term
		{"wonderfulwonderfulwonderful", ""},
	} {
		got := numbers(search(t, ix, tok, 1, c.q))
		// Relevance orders the hits; compare as sets, then check order separately.
		if sortCSV(got) != sortCSV(c.want) {
			t.Errorf("q=%q: hits %q, want %q", c.q, got, c.want)
		}
	}
	// Relevance: the message saying hello most comes first; ties go by number.
	if got := numbers(search(t, ix, tok, 1, "hello")); !strings.HasPrefix(got, "5,") {
		t.Errorf("hits for hello in order %s, want 5 first", got)
	}
	if got := numbers(search(t, ix, tok, 1, "zzz")); got != "" {
		t.Errorf("unexpected hits %s", got)
	}
	// Isolation: another chat, another application.
	if got := numbers(search(t, ix, tok, 2, "hello")); got != "1" {
		t.Errorf("chat 2 hits %s, want only its own message 1", got)
	}
	if got := search(t, ix, other, 1, "hello"); len(got) != 1 || !strings.Contains(got[0].Message.Body, "another application") {
		t.Errorf("the other application sees %v", got)
	}
	// Highlight marks the matched part.
	h := search(t, ix, tok, 1, "ello")
	for _, hit := range h {
		if !strings.Contains(hit.Highlight, "<em>") {
			t.Errorf("hit %d has no marked part: %q", hit.Message.Number, hit.Highlight)
		}
	}
	cafe := search(t, ix, tok, 1, "cafe")
	if len(cafe) != 1 || !strings.Contains(cafe[0].Highlight, "<em>") || !cafe[0].Message.CreatedAt.Equal(t0) {
		t.Errorf("café hit %+v", cafe)
	}
}

func TestSearchPagination(t *testing.T) {
	ix := newIndex(t)
	ctx := context.Background()
	tok := domain.NewToken()
	var msgs []domain.IndexedMessage
	for i := int64(1); i <= 25; i++ {
		msgs = append(msgs, msg(tok, 1, i, fmt.Sprintf("message number %d says ping", i)))
	}
	must(t, ix.IndexMessages(ctx, msgs))
	q, _ := domain.NewSearchQuery("ping")
	seen := map[int64]bool{}
	page := domain.PageRequest[domain.SearchCursor]{Limit: 10}
	for pages := 0; pages < 5; pages++ {
		p, err := ix.Search(ctx, tok, 1, q, page)
		must(t, err)
		for _, h := range p.Items {
			if seen[h.Message.Number] {
				t.Fatalf("message %d on two pages", h.Message.Number)
			}
			seen[h.Message.Number] = true
		}
		if !p.HasMore {
			break
		}
		last := p.Items[len(p.Items)-1]
		page.After = domain.SearchCursor{Score: last.Score, Number: last.Message.Number}
	}
	if len(seen) != 25 {
		t.Fatalf("paged through %d hits, want 25", len(seen))
	}
}

// An edit never leaves the old body findable, and an older event applied
// late (the creation after an edit) never brings it back.
func TestEditsReplaceAndStayReplaced(t *testing.T) {
	ix := newIndex(t)
	ctx := context.Background()
	tok := domain.NewToken()
	create := msg(tok, 1, 1, "original apple")
	edit := domain.IndexedMessage{Token: tok, Chat: 1, Number: 1, Body: "edited banana", Version: 2, UpdatedAt: t0.Add(time.Minute)}
	older := domain.IndexedMessage{Token: tok, Chat: 1, Number: 1, Body: "older cherry", Version: 1, UpdatedAt: t0.Add(time.Second)}
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{edit}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{create, older}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{create})) // redelivered
	for q, want := range map[string]string{"apple": "", "cherry": "", "banana": "1"} {
		if got := numbers(search(t, ix, tok, 1, q)); got != want {
			t.Errorf("q=%s: %q, want %q", q, got, want)
		}
	}
	hit := search(t, ix, tok, 1, "banana")[0]
	if !hit.Message.CreatedAt.Equal(t0) || !hit.Message.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("timestamps after the late creation: %+v", hit.Message)
	}
}

func TestUnreachableIsUnavailable(t *testing.T) {
	ix, err := opensearch.New(opensearch.Config{URL: "http://127.0.0.1:1", Alias: "x"})
	must(t, err)
	q, _ := domain.NewSearchQuery("x")
	_, err = ix.Search(context.Background(), domain.NewToken(), 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 1})
	if !errorsIs(err, domain.ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
	if err := ix.IndexMessages(context.Background(), []domain.IndexedMessage{msg(domain.NewToken(), 1, 1, "x")}); !errorsIs(err, domain.ErrUnavailable) {
		t.Fatalf("index error %v, want ErrUnavailable", err)
	}
}
