package bootstrap

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/adapters/streamlog"
	"github.com/chatsvc/chat/application"
)

// subscribe gives a subscriber in a consumer group.
type subscribe func(group string) (message.Subscriber, error)

// deadLetters is the publisher of the dead-letter stream.
type deadLetters struct{ message.Publisher }

// The worker's use case and consumer.
func workerModule(streamCfg StreamConfig, consumer ConsumerConfig) fx.Option {
	return fx.Module("worker",
		fx.Provide(application.NewProjector),
		fx.Provide(func(subscribeTo subscribe, dead deadLetters, a stream.Applier,
			m *metrics.Metrics, log *zap.Logger, tp trace.TracerProvider) (*stream.Consumer, error) {
			sub, err := subscribeTo(streamCfg.ConsumerGroup)
			if err != nil {
				return nil, err
			}
			return stream.NewConsumer(consumerConfig(consumer), streamCfg.Topics(), sub, dead, a, log.Named("consumer"), stream.Hooks{
				Applied: m.EventsPersisted.Inc, Failed: m.EventsFailed.Inc, DeadLettered: m.EventsDead.Inc,
				Conflict: m.NumberConflicts.Inc,
				Lag:      lagOf(m, "persist"),
				Tracer:   tracer(tp, "github.com/chatsvc/chat/adapters/stream"), Stage: "persist",
			})
		}),
	)
}

func consumerConfig(c ConsumerConfig) stream.ConsumerConfig {
	return stream.ConsumerConfig{Concurrency: c.Concurrency, MaxBatch: c.MaxBatch, Flushers: c.Flushers, Linger: c.Linger,
		MaxAttempts: c.MaxAttempts, RetryInitial: c.RetryInitial, RetryMax: c.RetryMax, CloseTimeout: c.CloseTimeout}
}

// consume starts the counters' loop, then the consumer; at stop the
// consumer finishes first, so the counters' last flush sees its last batch.
func consume(counters CountersConfig) fx.Option {
	return fx.Options(countersLoop(counters), fx.Invoke(func(lc fx.Lifecycle, c *stream.Consumer) {
		lc.Append(fx.Hook{OnStart: c.Start, OnStop: func(context.Context) error { return c.Close() }})
	}))
}

// countersLoop runs the counters' loop: touched counters every
// CHAT_COUNTER_FLUSH_INTERVAL, all of them every CHAT_RECONCILE_INTERVAL.
func countersLoop(c CountersConfig) fx.Option {
	return fx.Invoke(func(lc fx.Lifecycle, p *application.Projector, m *metrics.Metrics, log *zap.Logger) {
		inBackground(lc, func(ctx context.Context) {
			p.RunCounters(ctx, c.FlushEvery, c.ReconcileEvery,
				func(err error) { log.Warn("counters", zap.Error(err)) },
				func(n int) { m.CountersFixed.Add(float64(n)); log.Info("reconciled counters", zap.Int("fixed", n)) })
		})
	})
}

// Redis Streams subscribers, the dead-letter publisher and the backlog gauge: the production queue, worker side.
func redisConsumerModule(streamCfg StreamConfig, consumer ConsumerConfig, workerCfg WorkerConfig) fx.Option {
	return fx.Module("stream-consumer",
		fx.Supply(fx.Private, streamCfg, workerCfg),
		fx.Provide(func(client goredis.UniversalClient, log *zap.Logger) subscribe {
			return func(group string) (message.Subscriber, error) {
				rc := stream.RedisConfig{ConsumerGroup: group, ConsumerName: consumer.Name, ClaimIdle: consumer.ClaimIdle,
					ClaimInterval: consumer.ClaimInterval, MaxLen: streamCfg.MaxLen}
				return stream.NewRedisSubscriber(client, rc, consumer.Concurrency, log)
			}
		}),
		fx.Provide(func(pub message.Publisher) deadLetters { return deadLetters{pub} }),
		fx.Provide(newGroupKeeper),
		fx.Invoke(watchBacklog),
		fx.Invoke(trimStreams),
	)
}

// newGroupKeeper recreates the consumer groups (persisting and indexing)
// when Redis lost them, and remembers whether it could, for /readyz.
func newGroupKeeper(lc fx.Lifecycle, streamCfg StreamConfig, workerCfg WorkerConfig, client goredis.UniversalClient, log *zap.Logger) *stream.GroupKeeper {
	k := stream.NewGroupKeeper(client, streamCfg.Topics(), streamCfg.Groups(), log)
	lc.Append(fx.StartHook(k.Check)) // before the subscribers start: a failure is only reported
	every(lc, workerCfg.GroupCheckEvery, k.Check)
	return k
}

// trimStreams drops from the streams what both consumer groups (persisting
// and indexing) acknowledged, so Redis holds the backlog, not the history.
func trimStreams(lc fx.Lifecycle, streamCfg StreamConfig, client goredis.UniversalClient, log *zap.Logger) {
	every(lc, streamCfg.TrimEvery, func(ctx context.Context) {
		if n, err := stream.TrimAcknowledged(ctx, client, streamCfg.Topics(), streamCfg.Groups(), streamCfg.LiveRetention); err != nil {
			log.Debug("trimming the streams", zap.Error(err))
		} else if n > 0 {
			log.Debug("trimmed acknowledged events", zap.Int64("entries", n))
		}
	})
}

func watchBacklog(lc fx.Lifecycle, streamCfg StreamConfig, client goredis.UniversalClient, m *metrics.Metrics, log *zap.Logger) {
	every(lc, streamCfg.BacklogEvery, func(ctx context.Context) {
		backlog, err := streamlog.Unacknowledged(ctx, client, streamCfg.Topics(), []string{streamCfg.ConsumerGroup})
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
