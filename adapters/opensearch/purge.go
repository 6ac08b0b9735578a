package opensearch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/chatsvc/chat/adapters/searchdoc"
	"github.com/chatsvc/chat/domain"
)

// PurgeChatDocuments removes up to limit of the chat's documents with one
// delete-by-query on the chat's shard (its routing), bounded by max_docs
// (ports.IndexPurge).
func (ix *Index) PurgeChatDocuments(ctx context.Context, token domain.Token, chat int64, limit int) (int, error) {
	scope := searchdoc.Scope(token, chat)
	body, err := json.Marshal(map[string]any{"query": map[string]any{"term": map[string]any{"_routing": scope}}})
	if err != nil {
		return 0, err
	}
	q := url.Values{"routing": {scope}, "max_docs": {strconv.Itoa(limit)}, "conflicts": {"proceed"}}
	if ix.refresh != "" {
		q.Set("refresh", "true") // delete-by-query knows no wait_for
	}
	var out struct {
		Deleted int `json:"deleted"`
	}
	if err := ix.do(ctx, http.MethodPost, "/"+ix.alias+"/_delete_by_query?"+q.Encode(), body, &out); err != nil {
		return 0, err
	}
	return out.Deleted, nil
}
