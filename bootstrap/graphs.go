package bootstrap

import "go.uber.org/fx"

// API is the api process: in production it serves HTTP and appends to Redis
// Streams; in the embedded profile it is the whole service in one process,
// worker included.
func API(cfg Config) fx.Option {
	if cfg.Profile == ProfileEmbedded {
		return Embedded(cfg)
	}
	return fx.Options(
		core(cfg.Profile, cfg.Log, cfg.Startup, cfg.Debug),
		mysqlModule(cfg.MySQL),
		sequencerModule(cfg.Redis, cfg.Sequencer, cfg.Stream),
		goredisModule(cfg.Redis, cfg.Stream),
		readCacheModule(cfg.Redis, cfg.ReadCache),
		accessModule(cfg.Redis),
		redisTallyModule(cfg.Redis),
		opensearchModule(cfg.OpenSearch),
		streamLiveLog(cfg.Stream),
		redisNotices(cfg.Stream),
		liveModule(cfg.Live),
		webhookStoreModule(cfg.Webhook),
		productionFeed(cfg.Stream),
		apiModule(cfg.API, cfg.ReadCache),
	)
}

// Worker is the worker process: it consumes the streams into MySQL and the
// search index, and serves /healthz, /readyz and /metrics on
// CHAT_WORKER_HTTP_ADDR. CHAT_WORKER_ROLES splits the consumer groups over
// processes: a worker persists (and keeps the counters), indexes, delivers
// webhooks, or any of them.
func Worker(cfg Config) fx.Option {
	roles := fx.Options()
	if cfg.Worker.Persists() {
		roles = fx.Options(roles, accessModule(cfg.Redis), redisTallyModule(cfg.Redis), tallyPersisted, projectorModule(cfg.Counters), persistModule(cfg.Stream, cfg.Consumer),
			workerRedis(cfg.Redis, cfg.Sequencer, cfg.Stream), jobsModule(cfg.Jobs))
	}
	if cfg.Worker.Indexes() {
		roles = fx.Options(roles, indexerModule(cfg.Stream, cfg.Consumer, cfg.Indexer))
	}
	if cfg.Worker.Delivers() {
		roles = fx.Options(roles, webhookStoreModule(cfg.Webhook), webhookDeliveryModule(cfg.Stream, cfg.Webhook))
	}
	return fx.Options(
		core(cfg.Profile, cfg.Log, cfg.Startup, cfg.Debug),
		mysqlModule(cfg.MySQL),
		goredisModule(cfg.Redis, cfg.Stream),
		readCacheModule(cfg.Redis, cfg.ReadCache),
		opensearchModule(cfg.OpenSearch),
		consumerModule(cfg.Stream, cfg.Consumer, cfg.Worker),
		roles,
		opsModule(cfg.Worker),
	)
}

// Embedded is the whole service in one process with nothing installed:
// SQLite for the store and the sequences, creates numbered and persisted in
// group-committed transactions (answered once durable), Bleve indexed in
// the background, the counters' loop beside the HTTP server, webhooks
// delivered from the same process.
func Embedded(cfg Config) fx.Option {
	return fx.Options(
		core(cfg.Profile, cfg.Log, cfg.Startup, cfg.Debug),
		sqliteModule(cfg.SQLite),
		bleveModule(cfg.SQLite),
		memoryModule(cfg.ReadCache),
		memoryTally,
		projectorModule(cfg.Counters),
		webhookStoreModule(cfg.Webhook),
		embeddedDeliveryModule(cfg.Webhook),
		embeddedFeed(),
		groupCommitModule(cfg.Stream),
		liveModule(cfg.Live),
		jobsModule(cfg.Jobs),
		apiModule(cfg.API, cfg.ReadCache),
	)
}
