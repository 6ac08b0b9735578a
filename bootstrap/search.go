package bootstrap

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

func newSearchUseCase(chats ports.ChatReader, index ports.SearchIndex, fallback ports.SearchFallback, log *zap.Logger) *application.Search {
	return application.NewSearch(chats, index, fallback, func(err error) {
		log.Warn("search index unavailable; answering from the database", zap.Error(err))
	})
}

// OpenSearch: the production search index. A process starts even while
// OpenSearch is down (search degrades to the database); the index and its
// alias are created in the background as soon as OpenSearch answers.
var opensearchModule = fx.Module("opensearch",
	fx.Provide(func(cfg Config) (*opensearch.Index, error) {
		return opensearch.New(opensearch.Config{URL: cfg.OpenSearch.URL, Alias: cfg.OpenSearch.Index,
			Shards: cfg.OpenSearch.Shards, Refresh: cfg.OpenSearch.Refresh})
	}),
	fx.Provide(func(ix *opensearch.Index) ports.SearchIndex { return ix }),
	fx.Provide(func(s *entstore.Store) ports.SearchFallback { return s }),
	fx.Invoke(ensureIndex),
)

func ensureIndex(lc fx.Lifecycle, ix *opensearch.Index, log *zap.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				for attempt := 0; ; attempt++ {
					err := ix.EnsureIndex(ctx)
					if err == nil || ctx.Err() != nil {
						return
					}
					if attempt == 0 {
						log.Warn("search index not ready; retrying in the background", zap.Error(err))
					}
					select {
					case <-ctx.Done():
						return
					case <-time.After(2 * time.Second):
					}
				}
			}()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); <-done; return nil },
	})
}

// indexConsumer is the worker's second consumer group: it indexes events.
type indexConsumer struct{ *stream.Consumer }

var indexerModule = fx.Module("indexer",
	fx.Provide(func(ix ports.SearchIndex) *application.Indexer { return application.NewIndexer(ix) }),
	fx.Provide(func(cfg Config, client goredis.UniversalClient, dead deadLetters, ix *application.Indexer,
		m *metrics.Metrics, log *zap.Logger) (indexConsumer, error) {
		rc := cfg.Stream.Redis
		rc.ConsumerGroup = cfg.OpenSearch.IndexerGroup
		cc := cfg.Worker.Consumer
		cc.DeadLetterTopic = cfg.Stream.Topics.DeadLetter() + ".index"
		c, err := stream.NewConsumer(cc, cfg.Stream.Topics, stream.NewRedisSubscriberFactory(client, rc, log), dead, ix,
			log.Named("indexer"), stream.Hooks{Applied: m.EventsIndexed.Inc, Failed: m.EventsFailed.Inc, DeadLettered: m.EventsDead.Inc})
		return indexConsumer{c}, err
	}),
	fx.Invoke(func(lc fx.Lifecycle, c indexConsumer) {
		lc.Append(fx.Hook{OnStart: c.Start, OnStop: func(context.Context) error { return c.Close() }})
	}),
)

// storeSearch lets the embedded profile search its SQLite database directly.
type storeSearch struct{ fallback ports.SearchFallback }

func (s storeSearch) IndexMessages(context.Context, []domain.IndexedMessage) error { return nil }

func (s storeSearch) Search(ctx context.Context, t domain.Token, chat int64, q domain.SearchQuery, p domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], error) {
	return s.fallback.SearchMessages(ctx, t, chat, q, p)
}

var embeddedSearchModule = fx.Module("embedded-search",
	fx.Provide(func(s *entstore.Store) ports.SearchIndex { return storeSearch{fallback: s} }),
	fx.Provide(func() ports.SearchFallback { return nil }),
)
