package porttest

import (
	"context"
	"strings"
	"testing"

	"github.com/chatsvc/chat/domain"
)

// SearchFallbackContract runs the ports.SearchFallback suite: the database
// answers searches with the search indexes' semantics, operators and
// highlights included.
func SearchFallbackContract(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreCases(t, newStore,
		storeCase{"the search fallback has the search semantics, operators included", fallbackHasTheSearchSemantics},
	)
}

func fallbackHasTheSearchSemantics(t *testing.T, s Store) {
	ctx := context.Background()
	tok := newApp(t, s, "fallback").Token
	events := []domain.Event{domain.ChatCreated{Token: tok, Number: 1, CreatedAt: t0}}
	for i, b := range []string{"the quick brown fox", "the brown quick fox", "a quick, Brown fox jumps", "quickly brownish foxes", "hello world"} {
		events = append(events, domain.MessageCreated{Token: tok, Chat: 1, Number: int64(i + 1), Body: b, CreatedAt: t0})
	}
	apply(t, s, events...)
	for _, c := range []struct{ q, want string }{
		{`ello`, "5"}, {`"quick brown"`, "1,3"}, {`"quick brown" -jumps`, "1"}, {`fox -ump`, "1,2,4"}, {`"uick brow"`, ""}, {`qui bro`, "1,2,3,4"},
	} {
		q, err := domain.NewSearchQuery(c.q)
		must(t, err)
		p, err := s.SearchMessages(ctx, tok, 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 50})
		must(t, err)
		if got := numbers(p.Items); got != c.want {
			t.Errorf("fallback q=%s: %q, want %q", c.q, got, c.want)
		}
		for _, h := range p.Items {
			if !strings.Contains(h.Highlight, "<em>") {
				t.Errorf("fallback hit without a marked word: %q", h.Highlight)
			}
		}
	}
}
