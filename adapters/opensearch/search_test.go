package opensearch_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chatsvc/chat/domain"
)

// A page that ends inside a run of equal scores holds the run's
// lowest-numbered matches, whatever segment they were written to: here the
// higher numbers are written (and made searchable) first, so they come
// first in the index, and the first 51 equal scores Lucene meets are
// mostly the wrong ones.
func TestEqualScoresPageByNumberAcrossSegments(t *testing.T) {
	ctx := context.Background()
	ix := newIndex(t)
	tok := domain.NewToken()
	write := func(from, to int64) {
		var batch []domain.IndexedMessage
		for n := from; n >= to; n-- {
			batch = append(batch, msg(tok, 1, n, fmt.Sprintf("same words %d", n%10)))
		}
		must(t, ix.IndexMessages(ctx, batch)) // refresh=wait_for: a segment of its own
	}
	write(120, 61)
	write(60, 1)
	q, _ := domain.NewSearchQuery("same")
	seen := 0
	page := domain.PageRequest[domain.SearchCursor]{Limit: 50}
	for want := int64(1); ; {
		p, err := ix.Search(ctx, tok, 1, q, page)
		must(t, err)
		for _, h := range p.Items {
			if h.Message.Number != want {
				t.Fatalf("hit %d is message %d, want %d (equal scores go by number)", seen, h.Message.Number, want)
			}
			want++
			seen++
		}
		if !p.HasMore {
			break
		}
		last := p.Items[len(p.Items)-1]
		page.After = domain.SearchCursor{Score: last.Score, Number: last.Message.Number}
	}
	if seen != 120 {
		t.Fatalf("paged through %d hits, want 120", seen)
	}
}

// A page whose scores differ comes by score, then number: the messages
// saying the word twice first, then the rest by number.
func TestHigherScoresFirstThenNumbers(t *testing.T) {
	ctx := context.Background()
	ix := newIndex(t)
	tok := domain.NewToken()
	var batch []domain.IndexedMessage
	for n := int64(100); n >= 1; n-- {
		body := "ping pong"
		if n%25 == 0 {
			body = "ping ping"
		}
		batch = append(batch, msg(tok, 1, n, body))
	}
	must(t, ix.IndexMessages(ctx, batch))
	q, _ := domain.NewSearchQuery("ping")
	p, err := ix.Search(ctx, tok, 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 10})
	must(t, err)
	want := []int64{25, 50, 75, 100, 1, 2, 3, 4, 5, 6}
	for i, h := range p.Items {
		if h.Message.Number != want[i] {
			t.Fatalf("hits %v, want %v", numbersOf(p.Items), want)
		}
	}
	if len(p.Items) != len(want) || !p.HasMore {
		t.Fatalf("hits %v (more: %v), want %v and more", numbersOf(p.Items), p.HasMore, want)
	}
}

func numbersOf(hits []domain.Hit) []int64 {
	out := make([]int64, 0, len(hits))
	for _, h := range hits {
		out = append(out, h.Message.Number)
	}
	return out
}
