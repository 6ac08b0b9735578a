package bleve

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/chatsvc/chat/adapters/searchdoc"
	"github.com/chatsvc/chat/domain"
)

// PurgeChatDocuments removes up to limit of the chat's documents, in one
// batch (ports.IndexPurge).
func (s *Index) PurgeChatDocuments(ctx context.Context, token domain.Token, chat int64, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope := query.NewTermQuery(searchdoc.Scope(token, chat))
	scope.SetField("scope")
	res, err := s.index.SearchInContext(ctx, bleve.NewSearchRequestOptions(scope, limit, 0, false))
	if err != nil {
		return 0, domain.Unavailable("search index", err)
	}
	if len(res.Hits) == 0 {
		return 0, nil
	}
	batch := s.index.NewBatch()
	for _, h := range res.Hits {
		batch.Delete(h.ID)
	}
	if err := s.index.Batch(batch); err != nil {
		return 0, domain.Unavailable("search index", err)
	}
	return len(res.Hits), nil
}

// Documents counts every document of the index.
func (s *Index) Documents() (uint64, error) { return s.index.DocCount() }
