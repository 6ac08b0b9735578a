package bootstrap

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/ThreeDotsLabs/watermill/message"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/chatsvc/chat/adapters/embedded"
	"github.com/chatsvc/chat/adapters/entstore"
	httpadapter "github.com/chatsvc/chat/adapters/http"
	"github.com/chatsvc/chat/adapters/metrics"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// systemClock is the real clock.
type systemClock struct{}

// Microseconds are what MySQL keeps, so an answer and a later read agree.
func (systemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Core: configuration, logging, metrics, the clock.
func core(cfg Config) fx.Option {
	return fx.Options(
		fx.Supply(cfg),
		fx.Provide(newLogger, metrics.New),
		fx.Provide(fx.Annotate(func() systemClock { return systemClock{} }, fx.As(new(ports.Clock)))),
		fx.WithLogger(func(l *zap.Logger) fxevent.Logger {
			z := &fxevent.ZapLogger{Logger: l.Named("fx")}
			z.UseLogLevel(zapcore.DebugLevel)
			return z
		}),
		fx.StartTimeout(time.Duration(cfg.Startup.Attempts+5)*cfg.Startup.Every+15*time.Second),
		fx.Invoke(serveDebug),
	)
}

// serveDebug serves Go's profiler on CHAT_DEBUG_ADDR, when set.
func serveDebug(lc fx.Lifecycle, cfg Config, log *zap.Logger) {
	if cfg.DebugAddr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: cfg.DebugAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := net.Listen("tcp", cfg.DebugAddr)
			if err != nil {
				return fmt.Errorf("CHAT_DEBUG_ADDR: %w", err)
			}
			go func() { _ = srv.Serve(ln) }()
			log.Info("profiler listening", zap.String("addr", ln.Addr().String()))
			return nil
		},
		OnStop: srv.Shutdown,
	})
}

func newLogger(cfg Config, lc fx.Lifecycle) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.Log.Level)
	if err != nil {
		return nil, fmt.Errorf("CHAT_LOG_LEVEL: %w", err)
	}
	zc := zap.NewProductionConfig()
	if cfg.Log.Format == "console" {
		zc = zap.NewDevelopmentConfig()
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	log, err := zc.Build()
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(func() { _ = log.Sync() }))
	return log.With(zap.String("profile", cfg.Profile)), nil
}

// storePorts binds the ent store to every port it implements.
var storePorts = fx.Provide(
	fx.Annotate(func(s *entstore.Store) *entstore.Store { return s },
		fx.As(new(ports.ApplicationStore)), fx.As(new(ports.ChatReader)), fx.As(new(ports.MessageReader)),
		fx.As(new(ports.SequenceSeeds)), fx.As(new(ports.SequenceFences)), fx.As(new(ports.Projection)), fx.As(new(ports.Counters))),
)

// MySQL: the production system of record.
var mysqlModule = fx.Module("mysql",
	fx.Provide(func(cfg Config, lc fx.Lifecycle, log *zap.Logger) (*entstore.Store, error) {
		db, err := entstore.OpenMySQL(cfg.MySQL.DSN, cfg.MySQL.MaxOpen)
		if err != nil {
			return nil, err
		}
		s := entstore.New(db, dialect.MySQL)
		lc.Append(fx.Hook{
			OnStart: func(ctx context.Context) error {
				if err := entstore.WaitReady(ctx, db, cfg.Startup.Attempts, cfg.Startup.Every); err != nil {
					return fmt.Errorf("MySQL (CHAT_MYSQL_DSN) cannot be reached: %w", err)
				}
				return nil
			},
			OnStop: func(context.Context) error { return s.Close() },
		})
		return s, nil
	}),
	storePorts,
)

// SQLite: the embedded profile's system of record, migrated at start.
var sqliteModule = fx.Module("sqlite",
	fx.Provide(func(cfg Config, lc fx.Lifecycle, log *zap.Logger) (*entstore.Store, *sql.DB, error) {
		db, err := entstore.OpenSQLite(cfg.DataDir)
		if err != nil {
			return nil, nil, err
		}
		n, err := entstore.Migrate(context.Background(), db, "sqlite3")
		if err != nil {
			_ = db.Close()
			return nil, nil, fmt.Errorf("embedded database in %s: %w", cfg.DataDir, err)
		}
		log.Info("embedded profile", zap.String("data_dir", cfg.DataDir), zap.Int("migrations_applied", n))
		s := entstore.New(db, dialect.SQLite)
		lc.Append(fx.StopHook(s.Close))
		return s, db, nil
	}),
	storePorts,
	fx.Provide(embedded.NewSequencer),
	fx.Provide(func(s *embedded.Sequencer) ports.Sequencer { return s }),
)

// Redis (rueidis): the production number sequences.
var sequencerModule = fx.Module("sequencer",
	fx.Provide(func(cfg Config, lc fx.Lifecycle) (rueidis.Client, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.Startup.Attempts)*cfg.Startup.Every+5*time.Second)
		defer cancel()
		client, err := redisadapter.Connect(ctx, cfg.Redis.Addr, cfg.Startup.Attempts, cfg.Startup.Every)
		if err != nil {
			return nil, fmt.Errorf("Redis (CHAT_REDIS_ADDR) cannot be reached: %w", err)
		}
		lc.Append(fx.StopHook(client.Close))
		return client, nil
	}),
	// One script allocates a number and appends its event: the sequencer is the api's queue.
	fx.Provide(func(cfg Config, client rueidis.Client, fences ports.SequenceFences) *redisadapter.Sequencer {
		return redisadapter.NewSequencer(client, fences, redisadapter.Config{
			Topics: cfg.Stream.Topics, MaxLen: cfg.Stream.Redis.MaxLen, Lease: cfg.Redis.SequenceLease})
	}),
	fx.Provide(func(s *redisadapter.Sequencer) ports.Sequencer { return s }),
	fx.Provide(fx.Annotate(func(cfg Config, seq *redisadapter.Sequencer, m *metrics.Metrics) countingQueue {
		return countingQueue{seq, cfg.Stream.Topics, m}
	}, fx.As(new(ports.EventQueue)))),
)

// countingQueue counts the events a queue appends, by topic.
type countingQueue struct {
	ports.EventQueue
	topics stream.Topics
	m      *metrics.Metrics
}

func (q countingQueue) Append(ctx context.Context, draft domain.Event) (domain.Event, error) {
	ev, err := q.EventQueue.Append(ctx, draft)
	if err == nil {
		q.m.EventsPublished.WithLabelValues(q.topics.For(ev.Scope())).Inc()
	}
	return ev, err
}

// go-redis for Watermill's Redis Streams, kept apart from rueidis.
func newGoRedis(cfg Config, lc fx.Lifecycle) (goredis.UniversalClient, error) {
	// Per partition and consumer group: a blocked reader, a claimer and an
	// acknowledger; plus the publishers, trims and gauges.
	pool := 6*cfg.Stream.Topics.Partitions + 32
	client := goredis.NewClient(&goredis.Options{Addr: cfg.Redis.Addr, PoolSize: pool, MinIdleConns: 16,
		// RESP2: the streams need no push notifications, and go-redis checks
		// for them around every command under RESP3 (a tenth of the worker's CPU).
		Protocol: 2})
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			var err error
			for i := 0; i < cfg.Startup.Attempts; i++ {
				if err = client.Ping(ctx).Err(); err == nil {
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(cfg.Startup.Every):
				}
			}
			return fmt.Errorf("Redis (CHAT_REDIS_ADDR) cannot be reached: %w", err)
		},
		OnStop: func(context.Context) error { return client.Close() },
	})
	return client, nil
}

func newEventPublisher(cfg Config, pub message.Publisher, m *metrics.Metrics, dependency string) *stream.Publisher {
	return stream.NewPublisher(pub, cfg.Stream.Topics, dependency, func(topic string) {
		m.EventsPublished.WithLabelValues(topic).Inc()
	})
}

// Redis Streams publisher: the production queue, api side.
var redisPublisherModule = fx.Module("stream-publisher",
	fx.Provide(newGoRedis),
	fx.Provide(func(cfg Config, client goredis.UniversalClient, log *zap.Logger) (message.Publisher, error) {
		return stream.NewRedisPublisher(client, cfg.Stream.Redis, log)
	}),
	fx.Provide(fx.Annotate(
		func(cfg Config, pub message.Publisher, m *metrics.Metrics) *stream.Publisher {
			return newEventPublisher(cfg, pub, m, "redis")
		}, fx.As(new(ports.EventPublisher)))),
)

// The embedded profile's queue: creates numbered and persisted in
// group-committed SQLite transactions, indexed in the background.
var embeddedQueueModule = fx.Module("embedded-queue",
	fx.Provide(func(lc fx.Lifecycle, ix *application.Indexer, log *zap.Logger) *application.BackgroundIndexer {
		b := application.NewBackgroundIndexer(ix, 1024, 2000, 200*time.Millisecond, func(err error) {
			log.Warn("indexing committed messages", zap.Error(err))
		})
		lc.Append(fx.Hook{
			OnStart: func(context.Context) error { go b.Run(); return nil },
			OnStop:  func(context.Context) error { b.Close(); return nil },
		})
		return b
	}),
	fx.Provide(func(lc fx.Lifecycle, seq *embedded.Sequencer, store *entstore.Store, p *application.Projector,
		bg *application.BackgroundIndexer) *embedded.Queue {
		apply := func(ctx context.Context, allocate func(context.Context, embedded.Tx) ([]domain.Event, error)) (domain.Touched, error) {
			return store.ApplyAllocated(ctx, func(ctx context.Context, tx entstore.SQLTx) ([]domain.Event, error) { return allocate(ctx, tx) })
		}
		q := embedded.NewQueue(seq, apply, func(events []domain.Event, touched domain.Touched) {
			p.MarkTouched(touched)
			bg.Add(events)
		}, 512)
		lc.Append(fx.StopHook(q.Close))
		return q
	}),
	fx.Provide(func(cfg Config, q *embedded.Queue, m *metrics.Metrics) ports.EventQueue {
		return countingQueue{q, cfg.Stream.Topics, m}
	}),
)

// subscribe gives a subscriber in a consumer group (the in-process queue has one).
type subscribe func(group string) (message.Subscriber, error)

// deadLetters is the publisher of the dead-letter stream.
type deadLetters struct{ message.Publisher }

// The api's use cases and HTTP server.
var apiModule = fx.Module("api",
	fx.Provide(
		application.NewApplications,
		application.NewChats,
		func(cfg Config, q ports.EventQueue, r ports.MessageReader, clock ports.Clock) *application.Messages {
			return application.NewMessages(q, r, clock, cfg.MaxBodyBytes)
		},
		newSearchUseCase,
	),
	fx.Provide(func(cfg Config, apps *application.Applications, chats *application.Chats, msgs *application.Messages,
		search *application.Search, checks []httpadapter.Check, m *metrics.Metrics, log *zap.Logger) *httpadapter.Server {
		uc := httpadapter.UseCases{Applications: apps, Chats: chats, Messages: msgs, Search: search}
		return httpadapter.NewServer(cfg.HTTP, uc, checks, m, log)
	}),
)

// serveHTTP starts the server last and stops it first, so that in-flight
// requests finish while everything they need is still there.
func serveHTTP(lc fx.Lifecycle, s *httpadapter.Server) {
	lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
}

// The worker's use case and consumer.
var workerModule = fx.Module("worker",
	fx.Provide(application.NewProjector),
	fx.Provide(func(cfg Config, subscribeTo subscribe, dead deadLetters, a stream.Applier,
		m *metrics.Metrics, log *zap.Logger) (*stream.Consumer, error) {
		sub, err := subscribeTo(cfg.Stream.Redis.ConsumerGroup)
		if err != nil {
			return nil, err
		}
		return stream.NewConsumer(cfg.Worker.Consumer, cfg.Stream.Topics, sub, dead, a, log.Named("consumer"), stream.Hooks{
			Applied: m.EventsPersisted.Inc, Failed: m.EventsFailed.Inc, DeadLettered: m.EventsDead.Inc,
			Conflict: m.NumberConflicts.Inc,
		})
	}),
)

// consume starts the counters' loop, then the consumer; at stop the
// consumer finishes first, so the counters' last flush sees its last batch.
func consume(lc fx.Lifecycle, cfg Config, c *stream.Consumer, p *application.Projector, m *metrics.Metrics, log *zap.Logger) {
	keepCounts(lc, cfg, p, m, log)
	lc.Append(fx.Hook{OnStart: c.Start, OnStop: func(context.Context) error { return c.Close() }})
}

// keepCounts runs the counters' loop: touched counters every
// CHAT_COUNTER_FLUSH_INTERVAL, all of them every CHAT_RECONCILE_INTERVAL.
func keepCounts(lc fx.Lifecycle, cfg Config, p *application.Projector, m *metrics.Metrics, log *zap.Logger) {
	inBackground(lc, func(ctx context.Context) {
		p.RunCounters(ctx, cfg.Worker.FlushEvery, cfg.Worker.ReconcileEvery,
			func(err error) { log.Warn("counters", zap.Error(err)) },
			func(n int) { m.CountersFixed.Add(float64(n)); log.Info("reconciled counters", zap.Int("fixed", n)) })
	})
}

// Redis Streams subscribers, the dead-letter publisher and the backlog gauge: the production queue, worker side.
var redisConsumerModule = fx.Module("stream-consumer",
	fx.Provide(func(cfg Config, client goredis.UniversalClient, log *zap.Logger) subscribe {
		return func(group string) (message.Subscriber, error) {
			rc := cfg.Stream.Redis
			rc.ConsumerGroup = group
			return stream.NewRedisSubscriber(client, rc, cfg.Worker.Consumer.Concurrency, log)
		}
	}),
	fx.Provide(func(pub message.Publisher) deadLetters { return deadLetters{pub} }),
	fx.Provide(newGroupKeeper),
	fx.Invoke(watchBacklog),
	fx.Invoke(trimStreams),
)

// groupKeeper recreates the consumer groups (persisting and indexing) when
// Redis lost them, and remembers whether it could, for /readyz.
type groupKeeper struct {
	mu  sync.Mutex
	err error
}

func newGroupKeeper(lc fx.Lifecycle, cfg Config, client goredis.UniversalClient, log *zap.Logger) *groupKeeper {
	k := &groupKeeper{err: errors.New("consumer groups not checked yet")}
	groups := []string{cfg.Stream.Redis.ConsumerGroup, cfg.OpenSearch.IndexerGroup}
	check := func(ctx context.Context) {
		n, err := stream.EnsureGroups(ctx, client, cfg.Stream.Topics, groups)
		if n > 0 {
			log.Warn("recreated missing consumer groups (did Redis lose its data?)", zap.Int("groups", n))
		}
		k.mu.Lock()
		k.err = err
		k.mu.Unlock()
	}
	lc.Append(fx.StartHook(check)) // before the subscribers start: a failure is only reported
	every(lc, cfg.Worker.GroupCheckEvery, check)
	return k
}

// Ready says whether every consumer group was there at the last check.
func (k *groupKeeper) Ready(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

// trimStreams drops from the streams what both consumer groups (persisting
// and indexing) acknowledged, so Redis holds the backlog, not the history.
func trimStreams(lc fx.Lifecycle, cfg Config, client goredis.UniversalClient, log *zap.Logger) {
	groups := []string{cfg.Stream.Redis.ConsumerGroup, cfg.OpenSearch.IndexerGroup}
	every(lc, cfg.Stream.TrimEvery, func(ctx context.Context) {
		if n, err := stream.TrimAcknowledged(ctx, client, cfg.Stream.Topics, groups); err != nil {
			log.Debug("trimming the streams", zap.Error(err))
		} else if n > 0 {
			log.Debug("trimmed acknowledged events", zap.Int64("entries", n))
		}
	})
}

func watchBacklog(lc fx.Lifecycle, cfg Config, client goredis.UniversalClient, m *metrics.Metrics, log *zap.Logger) {
	every(lc, cfg.Worker.BacklogEvery, func(ctx context.Context) {
		backlog, err := stream.Backlog(ctx, client, cfg.Stream.Topics, cfg.Stream.Redis.ConsumerGroup)
		if err != nil {
			log.Debug("stream backlog", zap.Error(err))
			return
		}
		for topic, n := range backlog {
			m.StreamBacklog.WithLabelValues(topic).Set(float64(n))
		}
	})
}

// every runs fn at each interval from start to stop.
func every(lc fx.Lifecycle, interval time.Duration, fn func(ctx context.Context)) {
	inBackground(lc, func(ctx context.Context) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	})
}

// inBackground runs fn from start to stop: its context ends at stop, and
// stop waits for it to return. Start hooks must not block.
func inBackground(lc fx.Lifecycle, fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() { defer close(done); fn(ctx) }()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); <-done; return nil },
	})
}
