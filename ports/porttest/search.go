package porttest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// SearchIndexContract runs the ports.SearchIndex suite: the search semantics
// of API.md, pagination, isolation, and versioned edits. newIndex gives an
// empty index whose writes are searchable when IndexMessages returns.
func SearchIndexContract(t *testing.T, newIndex func(t *testing.T) ports.SearchIndex) {
	t.Run("semantics", func(t *testing.T) { searchSemantics(t, newIndex(t)) })
	t.Run("pagination", func(t *testing.T) { searchPagination(t, newIndex(t)) })
	t.Run("edits replace and stay replaced", func(t *testing.T) { editsReplace(t, newIndex(t)) })
	t.Run("a deleted message leaves search for good", func(t *testing.T) { deletesStay(t, newIndex(t)) })
	t.Run("hits carry their authors", func(t *testing.T) { searchAuthors(t, newIndex(t)) })
	t.Run("hits carry their type and attributes", func(t *testing.T) { searchStructure(t, newIndex(t)) })
}

func sortCSV(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

var s0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func imsg(tok domain.Token, chat, n int64, body string) domain.IndexedMessage {
	return domain.IndexedMessage{Token: tok, Chat: chat, Number: n, Body: body, CreatedAt: s0, UpdatedAt: s0}
}

func searchIndex(t *testing.T, ix ports.SearchIndex, tok domain.Token, chat int64, q string) []domain.Hit {
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

func searchSemantics(t *testing.T, ix ports.SearchIndex) {
	ctx := context.Background()
	tok, other := domain.NewToken(), domain.NewToken()
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{
		imsg(tok, 1, 1, "Hello world"),
		imsg(tok, 1, 2, "hello there"),
		imsg(tok, 1, 3, "Un café au lait"),
		imsg(tok, 1, 4, "nothing to see"),
		imsg(tok, 1, 5, "HELLO HELLO hello, wonderful world"),
		imsg(tok, 1, 6, "a b c xy"),
		imsg(tok, 2, 1, "hello from chat 2"),
		imsg(other, 1, 1, "hello from another application"),
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
		{"lowo", ""},         // not inside one word: "hel-lo wo-rld"
		{"ohel", ""},         // nor across words the other way
		{"wonderfulwonderfulwonderful", ""},
	} {
		got := numbers(searchIndex(t, ix, tok, 1, c.q))
		// Relevance orders the hits; compare as sets, then check order separately.
		if sortCSV(got) != sortCSV(c.want) {
			t.Errorf("q=%q: hits %q, want %q", c.q, got, c.want)
		}
	}
	// Scripts written without spaces are matched inside their runs, and
	// short terms are exact lookups too.
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{
		imsg(tok, 4, 1, "你好，世界 こんにちは 안녕하세요"),
		imsg(tok, 4, 2, "我爱北京天安门"),
		imsg(tok, 4, 3, "plain latin words"),
	}))
	for _, c := range []struct{ q, want string }{
		{"你好", "1"}, {"世界", "1"}, {"こんに", "1"}, {"にち", "1"}, {"안녕", "1"}, {"하세요", "1"},
		{"北京", "2"}, {"天安门", "2"}, {"爱", "2"}, {"好", "1"}, {"你好 世界", "1"}, {"北京 世界", ""},
		{"in", "3"}, {"l", "3"}, {"a b c d e f g h i j k l m n o p", ""},
	} {
		if got := numbers(searchIndex(t, ix, tok, 4, c.q)); sortCSV(got) != c.want {
			t.Errorf("q=%q in chat 4: hits %q, want %q", c.q, got, c.want)
		}
	}
	// Operators: "an exact phrase" (whole words, adjacent, in order) and -excluded terms.
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{
		imsg(tok, 5, 1, "the quick brown fox"),
		imsg(tok, 5, 2, "the brown quick fox"),
		imsg(tok, 5, 3, "a quick, Brown fox jumps"),
		imsg(tok, 5, 4, "quickly brownish foxes"),
	}))
	for _, c := range []struct{ q, want string }{
		{`"quick brown"`, "1,3"},      // punctuation between the words is fine
		{`"QUICK BROWN" fox`, "1,3"},  // with a term
		{`"quick brown" -jumps`, "1"}, // and an exclusion
		{`fox -ump`, "1,2,4"},         // an excluded term matches inside words too
		{`quick -brown`, ""},          // every one has brown somewhere
		{`"brown quick"`, "2"},        // order matters
		{`"uick brow"`, ""},           // whole words
		{`"fox"`, "1,2,3"},            // a one-word phrase is a whole word
		{`qui -zzz -nothing`, "1,2,3,4"},
	} {
		q, err := domain.NewSearchQuery(c.q)
		must(t, err)
		p, err := ix.Search(ctx, tok, 5, q, domain.PageRequest[domain.SearchCursor]{Limit: 50})
		must(t, err)
		if got := numbers(p.Items); sortCSV(got) != c.want {
			t.Errorf("q=%s in chat 5: hits %q, want %q", c.q, got, c.want)
		}
	}
	// Relevance: the message saying hello most comes first; ties go by number.
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{
		imsg(tok, 3, 1, "hello there world"), imsg(tok, 3, 2, "hello hello hello world"),
		imsg(tok, 3, 3, "same words here"), imsg(tok, 3, 4, "same words here"),
	}))
	if got := numbers(searchIndex(t, ix, tok, 3, "hello")); got != "2,1" {
		t.Errorf("hits for hello in order %s, want 2,1", got)
	}
	if got := numbers(searchIndex(t, ix, tok, 3, "same")); got != "3,4" {
		t.Errorf("equal hits in order %s, want by number 3,4", got)
	}
	if got := numbers(searchIndex(t, ix, tok, 1, "zzz")); got != "" {
		t.Errorf("unexpected hits %s", got)
	}
	// Isolation: another chat, another application.
	if got := numbers(searchIndex(t, ix, tok, 2, "hello")); got != "1" {
		t.Errorf("chat 2 hits %s, want only its own message 1", got)
	}
	if got := searchIndex(t, ix, other, 1, "hello"); len(got) != 1 || !strings.Contains(got[0].Message.Body.String(), "another application") {
		t.Errorf("the other application sees %v", got)
	}
	// Highlight marks the matched part.
	h := searchIndex(t, ix, tok, 1, "ello")
	for _, hit := range h {
		if !strings.Contains(hit.Highlight, "<em>") {
			t.Errorf("hit %d has no marked part: %q", hit.Message.Number, hit.Highlight)
		}
	}
	cafe := searchIndex(t, ix, tok, 1, "cafe")
	if len(cafe) != 1 || !strings.Contains(cafe[0].Highlight, "<em>") || !cafe[0].Message.CreatedAt.Equal(s0) {
		t.Errorf("café hit %+v", cafe)
	}
}

func searchPagination(t *testing.T, ix ports.SearchIndex) {
	ctx := context.Background()
	tok := domain.NewToken()
	var msgs []domain.IndexedMessage
	for i := int64(1); i <= 25; i++ {
		msgs = append(msgs, imsg(tok, 1, i, fmt.Sprintf("message number %d says ping", i)))
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
func editsReplace(t *testing.T, ix ports.SearchIndex) {
	ctx := context.Background()
	tok := domain.NewToken()
	create := imsg(tok, 1, 1, "original apple")
	edit := domain.IndexedMessage{Token: tok, Chat: 1, Number: 1, Body: "edited banana", Version: 2, UpdatedAt: s0.Add(time.Minute)}
	older := domain.IndexedMessage{Token: tok, Chat: 1, Number: 1, Body: "older cherry", Version: 1, UpdatedAt: s0.Add(time.Second)}
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{edit}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{create, older}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{create})) // redelivered
	for q, want := range map[string]string{"apple": "", "cherry": "", "banana": "1"} {
		if got := numbers(searchIndex(t, ix, tok, 1, q)); got != want {
			t.Errorf("q=%s: %q, want %q", q, got, want)
		}
	}
	hit := searchIndex(t, ix, tok, 1, "banana")[0]
	if !hit.Message.CreatedAt.Equal(s0) || !hit.Message.UpdatedAt.Equal(s0.Add(time.Minute)) {
		t.Errorf("timestamps after the late creation: %+v", hit.Message)
	}
}

// A delete takes the message out of search, and no edit, older or newer,
// nor its creation applied late, brings it back.
func deletesStay(t *testing.T, ix ports.SearchIndex) {
	ctx := context.Background()
	tok := domain.NewToken()
	gone := func(n, v int64) domain.IndexedMessage {
		return domain.IndexedMessage{Token: tok, Chat: 1, Number: n, Version: v, UpdatedAt: s0.Add(time.Hour), Deleted: true}
	}
	edit := func(n, v int64, body string) domain.IndexedMessage {
		return domain.IndexedMessage{Token: tok, Chat: 1, Number: n, Body: body, Version: v, UpdatedAt: s0.Add(time.Minute)}
	}
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{imsg(tok, 1, 1, "apple one"), imsg(tok, 1, 2, "apple two"), imsg(tok, 1, 3, "apple three")}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{gone(1, 2)}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{edit(1, 1, "apple older"), edit(1, 3, "apple newer")}))
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{gone(4, 5)}))                    // before its creation
	must(t, ix.IndexMessages(ctx, []domain.IndexedMessage{imsg(tok, 1, 4, "apple four")})) // which comes late
	if got := numbers(searchIndex(t, ix, tok, 1, "apple")); sortCSV(got) != "2,3" {
		t.Fatalf("after deletes: %q, want 2,3", got)
	}
}
