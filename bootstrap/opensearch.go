package bootstrap

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/ports"
)

// OpenSearch: the production search index, with the database as its
// fallback. A process starts even while OpenSearch is down (search degrades
// to the database); the index and its alias are created in the background
// as soon as OpenSearch answers.
func opensearchModule(c OpenSearchConfig) fx.Option {
	return fx.Module("opensearch",
		opensearchIndex(c),
		fx.Provide(func(ix *opensearch.Index) ports.SearchIndex { return ix }),
		fx.Provide(func(ix *opensearch.Index) ports.IndexPurge { return ix }),
		fx.Provide(func(s *entstore.Store) ports.SearchFallback { return s }),
		fx.Invoke(ensureIndex),
		// Reported, not required: search falls back to the database.
		readiness(func(ix *opensearch.Index) httpapi.Check {
			return httpapi.Check{Name: "opensearch", Ping: ix.Ping, Optional: true}
		}),
	)
}

// opensearchIndex is the index's client (no I/O): the services ensure the
// index in the background, cmd/reindex rebuilds it.
func opensearchIndex(c OpenSearchConfig) fx.Option {
	return fx.Provide(func() (*opensearch.Index, error) {
		return opensearch.New(opensearch.Config{URL: c.URL, Alias: c.Index, Analysis: c.Analysis,
			Shards: c.Shards, Replicas: c.Replicas, Refresh: c.Refresh})
	})
}

func ensureIndex(lc fx.Lifecycle, ix *opensearch.Index, log *zap.Logger) {
	inBackground(lc, func(ctx context.Context) {
		warned := false
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			err := ix.EnsureIndex(ctx)
			if errors.Is(err, opensearch.ErrOldAnalysis) {
				return struct{}{}, backoff.Permanent(err)
			}
			return struct{}{}, err
		}, backoff.WithBackOff(backoff.NewConstantBackOff(2*time.Second)), backoff.WithMaxElapsedTime(0),
			backoff.WithNotify(func(err error, _ time.Duration) {
				if !warned {
					warned = true
					log.Warn("search index not ready; retrying in the background", zap.Error(err))
				}
			}))
		if errors.Is(err, opensearch.ErrOldAnalysis) {
			log.Error("search index is out of date; short terms are searched slowly until it is rebuilt", zap.Error(err))
		}
	})
}
