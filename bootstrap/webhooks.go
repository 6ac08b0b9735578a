package bootstrap

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/adapters/webhook"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/ports"
)

// Webhook endpoints and their outbox on the store, the guard against
// private addresses (CHAT_WEBHOOK_ALLOW_PRIVATE), and the use case that
// registers endpoints: in every graph with a store.
func webhookStoreModule(c WebhookConfig) fx.Option {
	return fx.Module("webhook-store",
		fx.Provide(
			func(s *entstore.Store) *entstore.Webhooks { return s.Webhooks(httpapi.WebhookBody) },
			func(w *entstore.Webhooks) ports.WebhookStore { return w },
			func() *webhook.Guard { return webhook.NewGuard(c.AllowPrivate) },
			func(w ports.WebhookStore, g *webhook.Guard, clock ports.Clock) *application.Webhooks {
				return application.NewWebhooks(w, urlCheck{g}, clock, webhook.NewSecret)
			},
		),
	)
}

// The pull feed (GET …/events): production, what the webhooks' group has
// not settled waits (stream.Unsettled), as the deliveries do.
func productionFeed(streamCfg StreamConfig) fx.Option {
	return fx.Provide(func(s *entstore.Store, client goredis.UniversalClient) *application.Feed {
		return application.NewFeed(s.Feed(func(ctx context.Context) (map[string]string, error) {
			return stream.Unsettled(ctx, client, streamCfg.Topics(), streamCfg.WebhookGroup)
		}), 0)
	})
}

// embeddedFeed: the group commit writes the feed in the order of its positions.
func embeddedFeed() fx.Option {
	return fx.Provide(func(s *entstore.Store) *application.Feed { return application.NewFeed(s.Feed(nil), 0) })
}

// urlCheck is the guard as the use case sees it.
type urlCheck struct{ g *webhook.Guard }

func (u urlCheck) CheckURL(ctx context.Context, raw string) error {
	_, err := u.g.CheckURL(ctx, raw)
	return err
}

// newDispatcher is the delivery loop, heard by the metrics and the log.
func newDispatcher(c WebhookConfig, w *entstore.Webhooks, g *webhook.Guard, holds func(context.Context) (map[string]string, error),
	m *metrics.Metrics, log *zap.Logger) *webhook.Dispatcher {
	log = log.Named("webhooks")
	cfg := webhook.DispatchConfig{Timeout: c.Timeout, Poll: c.Poll, DisableAfter: c.DisableAfter,
		Schedule: webhook.Schedule{First: c.FirstRetry, Max: webhook.MaxInterval, For: c.RetryFor}}
	return webhook.NewDispatcher(cfg, w, webhook.NewSender(g, c.Timeout), holds, webhook.Hooks{
		Attempted: func(outcome string) { m.WebhookAttempts.WithLabelValues(outcome).Inc() },
		Delivered: func(lag time.Duration) { m.WebhookLag.Observe(lag.Seconds()) },
		Failed: func(d webhook.Due, last webhook.Outcome) {
			log.Warn("webhook delivery failed for good", zap.String("event_id", d.Delivery.ID), zap.String("url", d.Delivery.URL),
				zap.Int("attempts", d.Attempts+1), zap.Int("last_status", last.Status), zap.Error(last.Err))
		},
		Disabled: func(d webhook.Due) {
			m.WebhooksDisabled.Inc()
			log.Warn("webhook endpoint disabled: nothing delivered to it for CHAT_WEBHOOK_DISABLE_AFTER", zap.String("url", d.Delivery.URL),
				zap.Duration("disable_after", c.DisableAfter))
		},
		Err: func(err error) { log.Warn("webhook outbox", zap.Error(err)) },
	})
}

func runDispatcher(lc fx.Lifecycle, d *webhook.Dispatcher) { inBackground(lc, d.Run) }

// pruneEvery is how often the feed and the deliveries' log are pruned.
const pruneEvery = 10 * time.Minute

// runPruner removes, beside the delivery loop, the feed's events and the
// finished deliveries past CHAT_FEED_RETENTION, kept at least as long as
// the retries (a delivery's log) and CHAT_WEBHOOK_DISABLE_AFTER (which
// reads what was delivered) need them. Every instance may prune: a batch
// deleted twice deletes nothing the second time.
func runPruner(c WebhookConfig) fx.Option {
	return fx.Invoke(func(lc fx.Lifecycle, w *entstore.Webhooks, m *metrics.Metrics, log *zap.Logger) {
		keep := max(c.FeedRetention, c.RetryFor, c.DisableAfter)
		p := webhook.NewPruner(webhook.PruneConfig{Keep: keep, Batch: 500, Pause: 100 * time.Millisecond}, w, time.Now,
			func(kind string, n int) {
				if kind == "events" {
					m.FeedPruned.Add(float64(n))
				} else {
					m.DeliveriesPruned.Add(float64(n))
				}
			})
		every(lc, pruneEvery, func(ctx context.Context) {
			if _, _, err := p.Once(ctx); err != nil && ctx.Err() == nil {
				log.Warn("pruning the feed and the webhook deliveries' log; tried again later", zap.Error(err))
			}
		})
	})
}

// The worker's webhooks role: a consumer group of its own writes each
// event's deliveries to the outbox (in MySQL, before the event is
// acknowledged), and the delivery loop sends them. A chat's deliveries wait
// behind what the group has not settled yet of its partition (see
// stream.Unsettled), so that an event in another worker's hands (or a dead
// one's) is not overtaken.
func webhookDeliveryModule(streamCfg StreamConfig, c WebhookConfig) fx.Option {
	return fx.Module("webhook-delivery",
		fx.Provide(func(client goredis.UniversalClient, w *entstore.Webhooks, g *webhook.Guard, m *metrics.Metrics, log *zap.Logger) *webhook.Dispatcher {
			return newDispatcher(c, w, g, func(ctx context.Context) (map[string]string, error) {
				return stream.Unsettled(ctx, client, streamCfg.Topics(), streamCfg.WebhookGroup)
			}, m, log)
		}),
		fx.Provide(func(subscribeTo subscribe, w *entstore.Webhooks, d *webhook.Dispatcher, log *zap.Logger) (*stream.Intake, error) {
			sub, err := subscribeTo(streamCfg.WebhookGroup)
			if err != nil {
				return nil, err
			}
			return stream.NewIntake(streamCfg.Topics(), sub, func(ctx context.Context, events []stream.Taken) error {
				logged := make([]webhook.Logged, len(events))
				for i, e := range events {
					logged[i] = webhook.Logged{Partition: e.Partition, Position: e.Position, Event: e.Event}
				}
				if err := w.Enqueue(ctx, nil, logged); err != nil {
					return err
				}
				d.Wake() // their hold moves on once acknowledged: a poll after that sees them
				return nil
			}, log.Named("webhook-intake"))
		}),
		fx.Invoke(func(lc fx.Lifecycle, in *stream.Intake) {
			lc.Append(fx.Hook{OnStart: in.Start, OnStop: func(context.Context) error { return in.Close() }})
		}),
		fx.Invoke(runDispatcher),
		runPruner(c),
	)
}

// The embedded profile's delivery loop: deliveries are written in the
// group-commit transaction of their events (see groupCommitModule), so
// none is lost to a crash, and sent from this process.
func embeddedDeliveryModule(c WebhookConfig) fx.Option {
	return fx.Module("webhook-delivery",
		fx.Provide(func(w *entstore.Webhooks, g *webhook.Guard, m *metrics.Metrics, log *zap.Logger) *webhook.Dispatcher {
			return newDispatcher(c, w, g, nil, m, log)
		}),
		fx.Invoke(runDispatcher),
		runPruner(c),
	)
}
