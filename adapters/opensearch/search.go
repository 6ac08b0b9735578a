package opensearch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chatsvc/chat/adapters/searchdoc"
	"github.com/chatsvc/chat/adapters/textfold"
	"github.com/chatsvc/chat/domain"
)

type searchHit struct {
	Score  float64 `json:"_score"`
	Source source  `json:"_source"`
}

// Search finds the chat's messages containing every term, by relevance then
// number, a page at a time (search_after on the pair).
func (ix *Index) Search(ctx context.Context, token domain.Token, chat int64, q domain.SearchQuery, page domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], error) {
	analysis, _ := ix.analysis.Load().(string)
	must := make([]any, 0, len(q.Terms)+len(q.Phrases))
	for _, t := range q.Terms {
		must = append(must, termClause(analysis, t))
	}
	for _, p := range q.Phrases {
		// body holds the folded words: a phrase of them is whole words, adjacent.
		must = append(must, map[string]any{"match_phrase": map[string]any{"body": map[string]any{"query": strings.Join(p, " ")}}})
	}
	mustNot := make([]any, 0, len(q.Exclude)+1)
	mustNot = append(mustNot, map[string]any{"term": map[string]any{"deleted": true}}) // tombstones
	for _, t := range q.Exclude {
		mustNot = append(mustNot, termClause(analysis, t))
	}
	req := map[string]any{
		"size": page.Limit + 1,
		// No track_scores: sorted by _score first, hits carry their score
		// anyway, and asking for it makes the shard score and compare every
		// match (a word in a third of a million messages: all of them)
		// where otherwise it skips the blocks that cannot reach the page
		// (block-max WAND; the profile API shows score_count fall from
		// 333,334 to a few hundred).
		"track_total_hits": false,
		"query": map[string]any{"bool": map[string]any{
			"must":     must,
			"must_not": mustNot,
			// The chat's documents are routed by its scope, and _routing is
			// indexed: one term is the chat, where token and chat were two.
			"filter": []any{map[string]any{"term": map[string]any{"_routing": searchdoc.Scope(token, chat)}}},
		}},
		"sort": []any{map[string]any{"_score": "desc"}, map[string]any{"number": "asc"}},
		// The whole _source, as it is stored: asking for some of its fields
		// makes the shard parse each hit's and write it again. The highlight
		// is marked here, from the body, the same way for every index
		// (textfold.MarkWords), at no cost to the shard.
		"_source": true,
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
	// filter_path: only what is read below (no index, id, routing or sort
	// values per hit, nor the shards' and timings' summary).
	path := "/" + ix.alias + "/_search?filter_path=timed_out,hits.hits._score,hits.hits._source&routing=" + searchdoc.Scope(token, chat)
	if err := ix.do(ctx, http.MethodPost, path, body, &res); err != nil {
		if is(err, http.StatusNotFound, nil) {
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
		m := domain.Message{Number: h.Source.Number, Body: domain.StoredBody(h.Source.Body), Author: h.Source.Author,
			Type: domain.TypeOf(h.Source.Type), Attributes: h.Source.Attrs, ReplyTo: h.Source.ReplyTo, UpdatedAt: h.Source.UpdatedAt.UTC()}
		if h.Source.CreatedAt != nil {
			m.CreatedAt = h.Source.CreatedAt.UTC()
		}
		hits = append(hits, domain.Hit{Message: m, Score: h.Score, Highlight: textfold.MarkWords(h.Source.Body, q.Words())})
	}
	return domain.TrimPage(hits, page.Limit), nil
}
