package bootstrap

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
)

// subscribe gives a subscriber in a consumer group.
type subscribe func(group string) (message.Subscriber, error)

// deadLetters is the publisher of the dead-letter stream.
type deadLetters struct{ message.Publisher }

// The worker's use case and consumer.
var workerModule = fx.Module("worker",
	fx.Provide(application.NewProjector),
	fx.Provide(func(cfg Config, subscribeTo subscribe, dead deadLetters, a stream.Applier,
		m *metrics.Metrics, log *zap.Logger, tp trace.TracerProvider) (*stream.Consumer, error) {
		sub, err := subscribeTo(cfg.Stream.Redis.ConsumerGroup)
		if err != nil {
			return nil, err
		}
		return stream.NewConsumer(cfg.Worker.Consumer, cfg.Stream.Topics, sub, dead, a, log.Named("consumer"), stream.Hooks{
			Applied: m.EventsPersisted.Inc, Failed: m.EventsFailed.Inc, DeadLettered: m.EventsDead.Inc,
			Conflict: m.NumberConflicts.Inc,
			Lag:      lagOf(m, "persist"),
			Tracer:   tracer(tp, "github.com/chatsvc/chat/adapters/stream"), Stage: "persist",
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

// lagOf observes a consumer group's apply lag, with the event's request as
// the observation's exemplar (served to OpenMetrics scrapes).
func lagOf(m *metrics.Metrics, group string) func(time.Duration, map[string]string) {
	h := m.ApplyLag.WithLabelValues(group)
	return func(d time.Duration, exemplar map[string]string) {
		if eo, ok := h.(prometheus.ExemplarObserver); ok && exemplar != nil {
			eo.ObserveWithExemplar(d.Seconds(), exemplar)
			return
		}
		h.Observe(d.Seconds())
	}
}
