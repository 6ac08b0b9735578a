package bootstrap

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/adapters/streamlog"
)

// subscribe gives a subscriber in a consumer group.
type subscribe func(group string) (message.Subscriber, error)

// The worker's side of the streams, whatever its roles: subscribers in a
// consumer group, the groups kept, the backlog gauge, the streams trimmed.
func consumerModule(streamCfg StreamConfig, consumer ConsumerConfig, workerCfg WorkerConfig) fx.Option {
	return fx.Module("consumer",
		fx.Supply(fx.Private, streamCfg, workerCfg),
		fx.Provide(func(client goredis.UniversalClient, log *zap.Logger) subscribe {
			return func(group string) (message.Subscriber, error) {
				rc := stream.RedisConfig{ConsumerGroup: group, ConsumerName: consumer.Name, ClaimIdle: consumer.ClaimIdle,
					ClaimInterval: consumer.ClaimInterval, MaxLen: streamCfg.MaxLen}
				return stream.NewRedisSubscriber(client, rc, consumer.Concurrency, log)
			}
		}),
		fx.Provide(newGroupKeeper),
		// The groups are checked (and made) at start before any subscriber starts.
		fx.Invoke(func(*stream.GroupKeeper) {}, watchBacklog, trimStreams),
		readiness(func(r goredis.UniversalClient) httpapi.Check {
			return httpapi.Check{Name: "redis", Ping: func(ctx context.Context) error { return r.Ping(ctx).Err() }}
		}),
		// Down while Redis has lost the groups and they could not be made again.
		readiness(func(groups *stream.GroupKeeper) httpapi.Check {
			return httpapi.Check{Name: "consumer-groups", Ping: groups.Ready}
		}),
	)
}

// newGroupKeeper recreates the consumer groups (persisting, indexing, and
// the webhooks' when this worker delivers them)
// when Redis lost them, and remembers whether it could, for /readyz.
func newGroupKeeper(lc fx.Lifecycle, streamCfg StreamConfig, workerCfg WorkerConfig, client goredis.UniversalClient, log *zap.Logger) *stream.GroupKeeper {
	groups := streamCfg.Groups()
	if workerCfg.Delivers() {
		groups = append(groups, streamCfg.WebhookGroup)
	}
	k := stream.NewGroupKeeper(client, streamCfg.Topics(), groups, log)
	lc.Append(fx.StartHook(k.Check)) // before the subscribers start: a failure is only reported
	every(lc, workerCfg.GroupCheckEvery, k.Check)
	return k
}

// consumerConfig is how a consumer of either group consumes.
func consumerConfig(c ConsumerConfig) stream.ConsumerConfig {
	return stream.ConsumerConfig{Concurrency: c.Concurrency, MaxBatch: c.MaxBatch, Flushers: c.Flushers, Linger: c.Linger,
		MaxAttempts: c.MaxAttempts, RetryInitial: c.RetryInitial, RetryMax: c.RetryMax, CloseTimeout: c.CloseTimeout}
}

// runConsumer starts a consumer, and at stop lets it finish what it holds.
func runConsumer(lc fx.Lifecycle, c *stream.Consumer) {
	lc.Append(fx.Hook{OnStart: c.Start, OnStop: func(context.Context) error { return c.Close() }})
}

// trimStreams drops from the streams what both consumer groups (persisting
// and indexing) acknowledged, and the webhooks' group once it exists, so
// Redis holds the backlog, not the history.
func trimStreams(lc fx.Lifecycle, streamCfg StreamConfig, client goredis.UniversalClient, log *zap.Logger) {
	every(lc, streamCfg.TrimEvery, func(ctx context.Context) {
		if n, err := stream.TrimAcknowledged(ctx, client, streamCfg.Topics(), streamCfg.Groups(), streamCfg.LiveRetention, streamCfg.WebhookGroup); err != nil {
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
