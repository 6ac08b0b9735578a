package bootstrap

import (
	"context"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/opensearch"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
)

// API is the api process: in production it serves HTTP and publishes to
// Redis Streams; in the embedded profile it is the whole service in one
// process, worker included.
func API(cfg Config) fx.Option {
	if cfg.Profile == ProfileEmbedded {
		return Embedded(cfg)
	}
	return fx.Options(
		core(cfg.Profile, cfg.Log, cfg.Startup, cfg.Debug),
		mysqlModule(cfg.MySQL),
		sequencerModule(cfg.Redis, cfg.Stream),
		redisPublisherModule(cfg.Redis, cfg.Stream),
		redisReadCacheModule(cfg.Redis, cfg.ReadCache),
		opensearchModule(cfg.OpenSearch),
		redisLiveLog(cfg.Stream),
		liveModule(cfg.Live),
		apiModule(cfg.API, cfg.ReadCache),
		fx.Provide(func(s *entstore.Store, r rueidis.Client, ix *opensearch.Index) []httpapi.Check {
			return []httpapi.Check{
				{Name: "mysql", Ping: s.Ping},
				{Name: "redis", Ping: func(ctx context.Context) error { return redisadapter.Ping(ctx, r) }},
				// Search falls back to MySQL while OpenSearch is down: reported, not required.
				{Name: "opensearch", Ping: ix.Ping, Optional: true},
			}
		}),
		fx.Invoke(watchDependencies),
		fx.Invoke(serveHTTP),
	)
}

// Worker is the worker process: it consumes the stream into MySQL, and
// serves /healthz, /readyz and /metrics on CHAT_WORKER_HTTP_ADDR.
//
// CHAT_WORKER_ROLES splits the two consumer groups over processes: a worker
// persists (and keeps the counters), indexes, or both.
func Worker(cfg Config) fx.Option {
	roles := fx.Options()
	if cfg.Worker.Persists() {
		roles = fx.Options(roles, consume(cfg.Counters))
	}
	if cfg.Worker.Indexes() {
		roles = fx.Options(roles, indexerModule(cfg.Stream, cfg.Consumer, cfg.Indexer))
	}
	return fx.Options(
		core(cfg.Profile, cfg.Log, cfg.Startup, cfg.Debug),
		mysqlModule(cfg.MySQL),
		redisPublisherModule(cfg.Redis, cfg.Stream),
		redisConsumerModule(cfg.Stream, cfg.Consumer, cfg.Worker),
		redisReadCacheModule(cfg.Redis, cfg.ReadCache),
		workerModule(cfg.Stream, cfg.Consumer),
		fx.Provide(func(p *application.Projector) stream.Applier { return p }),
		opensearchModule(cfg.OpenSearch),
		roles,
		fx.Provide(func(s *entstore.Store, r goredis.UniversalClient, groups *stream.GroupKeeper, ix *opensearch.Index) []httpapi.Check {
			return []httpapi.Check{
				{Name: "mysql", Ping: s.Ping},
				{Name: "redis", Ping: func(ctx context.Context) error { return r.Ping(ctx).Err() }},
				// Down while Redis has lost the groups and they could not be made again.
				{Name: "consumer-groups", Ping: groups.Ready},
				{Name: "opensearch", Ping: ix.Ping, Optional: true},
			}
		}),
		fx.Provide(func(checks []httpapi.Check, m *metrics.Metrics, log *zap.Logger) *httpapi.Server {
			return httpapi.NewOpsServer(httpapi.Config{Addr: cfg.Worker.HTTPAddr}, checks, m, log)
		}),
		fx.Invoke(watchDependencies),
		fx.Invoke(serveHTTP),
	)
}

// Embedded is the whole service in one process with nothing installed:
// SQLite for the store and the sequences, creates numbered and persisted in
// group-committed transactions (answered once durable), Bleve indexed in
// the background, the counters' loop beside the HTTP server.
func Embedded(cfg Config) fx.Option {
	return fx.Options(
		core(cfg.Profile, cfg.Log, cfg.Startup, cfg.Debug),
		sqliteModule(cfg.SQLite),
		embeddedSearchModule(cfg.SQLite),
		embeddedQueueModule(cfg.Stream),
		embeddedReadCacheModule(cfg.ReadCache),
		embeddedLiveLog,
		liveModule(cfg.Live),
		fx.Provide(application.NewProjector),
		apiModule(cfg.API, cfg.ReadCache),
		fx.Provide(func(s *entstore.Store) []httpapi.Check {
			return []httpapi.Check{{Name: "database", Ping: s.Ping}}
		}),
		countersLoop(cfg.Counters),
		fx.Invoke(watchDependencies),
		fx.Invoke(serveHTTP),
	)
}
