package bootstrap

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
)

// The projector (events into the store, the counters, the read cache's
// invalidations) and the counters' loop beside it: touched counters every
// CHAT_COUNTER_FLUSH_INTERVAL, all of them every CHAT_RECONCILE_INTERVAL.
func projectorModule(c CountersConfig) fx.Option {
	return fx.Module("projector",
		fx.Provide(application.NewProjector),
		fx.Invoke(func(lc fx.Lifecycle, p *application.Projector, m *metrics.Metrics, log *zap.Logger) {
			inBackground(lc, func(ctx context.Context) {
				p.RunCounters(ctx, c.FlushEvery, c.ReconcileEvery,
					func(err error) { log.Warn("counters", zap.Error(err)) },
					func(n int) { m.CountersFixed.Add(float64(n)); log.Info("reconciled counters", zap.Int("fixed", n)) })
			})
		}),
	)
}

// The worker's persisting consumer group: events applied by the projector.
// Listed after projectorModule, it starts after the counters' loop and stops
// before it, so that the loop's last flush sees the last batch.
func persistModule(streamCfg StreamConfig, consumer ConsumerConfig) fx.Option {
	return fx.Module("persist",
		fx.Provide(func(subscribeTo subscribe, dead message.Publisher, p *application.Projector,
			m *metrics.Metrics, log *zap.Logger, tp trace.TracerProvider) (*stream.Consumer, error) {
			sub, err := subscribeTo(streamCfg.ConsumerGroup)
			if err != nil {
				return nil, err
			}
			return stream.NewConsumer(consumerConfig(consumer), streamCfg.Topics(), sub, dead, p, log.Named("consumer"), stream.Hooks{
				Applied: m.EventsPersisted.Inc, Failed: m.EventsFailed.Inc, DeadLettered: m.EventsDead.Inc,
				Conflict: m.NumberConflicts.Inc,
				Lag:      lagOf(m, "persist"),
				Tracer:   tracer(tp, "github.com/chatsvc/chat/adapters/stream"), Stage: "persist",
			})
		}),
		fx.Invoke(runConsumer),
	)
}
