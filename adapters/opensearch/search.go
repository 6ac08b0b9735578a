package opensearch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatsvc/chat/adapters/textfold"
	"github.com/chatsvc/chat/domain"
)

func escapeWildcard(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`).Replace(s)
}

// termClause matches one term anywhere inside a word of the body.
func (ix *Index) termClause(term string) map[string]any {
	n := utf8.RuneCountInString(term)
	switch {
	case n >= minGram && n <= maxGram:
		return map[string]any{"match": map[string]any{"body.grams": map[string]any{"query": term}}}
	case n < minGram && ix.shortGrams.Load():
		return map[string]any{"match": map[string]any{"body.short": map[string]any{"query": term}}}
	}
	return map[string]any{"wildcard": map[string]any{"body": map[string]any{"value": "*" + escapeWildcard(textfold.Fold(term)) + "*"}}}
}

type searchHit struct {
	Score     float64             `json:"_score"`
	Source    source              `json:"_source"`
	Highlight map[string][]string `json:"highlight"`
	Sort      []json.RawMessage   `json:"sort"`
}

// Search finds the chat's messages containing every term, by relevance then
// number, a page at a time (search_after on the pair).
func (ix *Index) Search(ctx context.Context, token domain.Token, chat int64, q domain.SearchQuery, page domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], error) {
	must := make([]any, 0, len(q.Terms))
	for _, t := range q.Terms {
		must = append(must, ix.termClause(t))
	}
	req := map[string]any{
		"size":             page.Limit + 1,
		"track_scores":     true,
		"track_total_hits": false,
		"query": map[string]any{"bool": map[string]any{
			"must":   must,
			"filter": []any{map[string]any{"term": map[string]any{"token": string(token)}}, map[string]any{"term": map[string]any{"chat": chat}}},
		}},
		"sort": []any{map[string]any{"_score": "desc"}, map[string]any{"number": "asc"}},
		"highlight": map[string]any{
			"pre_tags": []string{"<em>"}, "post_tags": []string{"</em>"},
			"number_of_fragments": 0,
			"fields":              map[string]any{"body.grams": map[string]any{}, "body.short": map[string]any{}, "body": map[string]any{}},
		},
	}
	if page.After != (domain.SearchCursor{}) {
		req["search_after"] = []any{page.After.Score, page.After.Number}
	}
	if deadline, ok := ctx.Deadline(); ok {
		// The shard stops working at the caller's deadline, not only the client.
		req["timeout"] = fmt.Sprintf("%dms", max(time.Until(deadline).Milliseconds(), 1))
	}
	body, _ := json.Marshal(req)
	var res struct {
		TimedOut bool `json:"timed_out"`
		Hits     struct {
			Hits []searchHit `json:"hits"`
		} `json:"hits"`
	}
	path := "/" + ix.alias + "/_search?routing=" + routing(token, chat)
	if err := ix.do(ctx, http.MethodPost, path, body, &res); err != nil {
		if ae, ok := err.(*apiError); ok && ae.status == http.StatusNotFound {
			// The index is not created yet (EnsureIndex is retrying): as good as down.
			return domain.Page[domain.Hit]{}, domain.Unavailable("opensearch", err)
		}
		return domain.Page[domain.Hit]{}, err
	}
	if res.TimedOut {
		// Partial hits would be a wrong answer: say the search could not finish.
		return domain.Page[domain.Hit]{}, domain.Unavailable("opensearch", context.DeadlineExceeded)
	}
	hits := make([]domain.Hit, 0, len(res.Hits.Hits))
	for _, h := range res.Hits.Hits {
		m := domain.Message{Number: h.Source.Number, Body: h.Source.Body, UpdatedAt: h.Source.UpdatedAt.UTC()}
		if h.Source.CreatedAt != nil {
			m.CreatedAt = h.Source.CreatedAt.UTC()
		}
		hits = append(hits, domain.Hit{Message: m, Score: h.Score, Highlight: pickHighlight(h)})
	}
	return domain.TrimPage(hits, page.Limit), nil
}

// pickHighlight prefers the grams field, which marks the matched part of a
// word; the words field marks whole words (short or very long terms).
func pickHighlight(h searchHit) string {
	for _, f := range []string{"body.grams", "body.short", "body"} {
		if frags := h.Highlight[f]; len(frags) > 0 {
			return strings.Join(frags, " … ")
		}
	}
	return h.Source.Body
}
