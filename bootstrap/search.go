package bootstrap

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/bleve"
	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/ports"
)

func newSearchUseCase(api APIConfig, chats ports.ChatReader, index ports.SearchIndex, fallback ports.SearchFallback, m *metrics.Metrics, log *zap.Logger) *application.Search {
	return application.NewSearch(chats, index, fallback, func(err error) {
		m.SearchDegraded.Inc()
		log.Warn("search index unavailable; answering from the database", zap.Error(err))
	}, api.SearchTimeout)
}

// OpenSearch: the production search index. A process starts even while
// OpenSearch is down (search degrades to the database); the index and its
// alias are created in the background as soon as OpenSearch answers.
func opensearchModule(c OpenSearchConfig) fx.Option {
	return fx.Module("opensearch",
		opensearchIndex(c),
		fx.Provide(func(ix *opensearch.Index) ports.SearchIndex { return ix }),
		fx.Provide(func(s *entstore.Store) ports.SearchFallback { return s }),
		fx.Invoke(ensureIndex),
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

// indexConsumer is the worker's second consumer group: it indexes events.
type indexConsumer struct{ *stream.Consumer }

func indexerModule(streamCfg StreamConfig, consumer ConsumerConfig, indexer IndexerConfig) fx.Option {
	return fx.Module("indexer",
		fx.Provide(func(ix ports.SearchIndex) *application.Indexer { return application.NewIndexer(ix) }),
		fx.Provide(func(subscribeTo subscribe, dead deadLetters, ix *application.Indexer,
			m *metrics.Metrics, log *zap.Logger, tp trace.TracerProvider) (indexConsumer, error) {
			cc := consumerConfig(consumer)
			cc.DeadLetterTopic = streamCfg.Topics().DeadLetter() + ".index"
			cc.MaxBatch, cc.Linger = indexer.MaxBatch, indexer.Linger
			sub, err := subscribeTo(streamCfg.IndexerGroup)
			if err != nil {
				return indexConsumer{}, err
			}
			c, err := stream.NewConsumer(cc, streamCfg.Topics(), sub, dead, ix,
				log.Named("indexer"), stream.Hooks{Applied: m.EventsIndexed.Inc, Failed: m.EventsFailed.Inc, DeadLettered: m.EventsDead.Inc,
					Lag:    lagOf(m, "index"),
					Tracer: tracer(tp, "github.com/chatsvc/chat/adapters/stream"), Stage: "index"})
			return indexConsumer{c}, err
		}),
		fx.Invoke(func(lc fx.Lifecycle, c indexConsumer) {
			lc.Append(fx.Hook{OnStart: c.Start, OnStop: func(context.Context) error { return c.Close() }})
		}),
	)
}

// The embedded search index (Bleve) under CHAT_DATA_DIR. Bleve persists in
// the background, so a crash can lose its last writes: at every start the
// index is repaired from the database (versioned, so this changes nothing
// that is already right), in the background. While it is unusable, search
// answers from the database.
func embeddedSearchModule(c SQLiteConfig) fx.Option {
	return fx.Module("embedded-search",
		fx.Provide(func(lc fx.Lifecycle) *bleve.Index {
			s := bleve.NewIndex(filepath.Join(c.DataDir, "search.bleve"))
			lc.Append(fx.Hook{OnStart: func(context.Context) error { return s.Open() }, OnStop: func(context.Context) error { return s.Close() }})
			return s
		}),
		fx.Provide(func(s *bleve.Index) ports.SearchIndex { return s }),
		fx.Provide(func(s *entstore.Store) ports.SearchFallback { return s }),
		fx.Provide(application.NewIndexer),
		fx.Invoke(func(lc fx.Lifecycle, ix *bleve.Index, store *entstore.Store, log *zap.Logger) {
			inBackground(lc, func(ctx context.Context) {
				n, err := bleve.Repair(ctx, ix, store)
				if err != nil && ctx.Err() == nil {
					log.Warn("repairing the embedded search index", zap.Error(err))
					return
				}
				log.Debug("embedded search index repaired", zap.Int("messages", n))
			})
		}),
	)
}
