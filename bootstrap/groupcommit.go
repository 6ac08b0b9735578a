package bootstrap

import (
	"context"
	"time"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/adapters/webhook"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// The embedded profile's event queue: creates numbered and persisted in
// group-committed SQLite transactions (answered once durable), then told
// to the projector, the live log and the background indexer. Their webhook
// deliveries are written in the same transaction.
func groupCommitModule(streamCfg StreamConfig) fx.Option {
	return fx.Module("group-commit",
		fx.Provide(func(lc fx.Lifecycle, ix *application.Indexer, log *zap.Logger, m *metrics.Metrics) *application.BackgroundIndexer {
			b := application.NewBackgroundIndexer(ix, 1024, 2000, 200*time.Millisecond, func(err error) {
				log.Warn("indexing committed messages", zap.Error(err))
			}, func(n int) { m.EventsIndexed.Add(float64(n)) })
			lc.Append(fx.Hook{
				OnStart: func(context.Context) error { go b.Run(); return nil },
				OnStop:  func(context.Context) error { b.Close(); return nil },
			})
			return b
		}),
		fx.Provide(func(lc fx.Lifecycle, seq *sqlite.Sequencer, store *entstore.Store, p *application.Projector,
			bg *application.BackgroundIndexer, live *memory.LiveLog, m *metrics.Metrics,
			hooks *entstore.Webhooks, deliveries *webhook.Dispatcher) *sqlite.Queue {
			apply := func(ctx context.Context, allocate func(context.Context, entstore.SQLTx) ([]domain.Event, error)) (domain.Touched, error) {
				return store.ApplyAllocated(ctx, func(ctx context.Context, tx entstore.SQLTx) ([]domain.Event, error) {
					events, err := allocate(ctx, tx)
					if err != nil || len(events) == 0 {
						return events, err
					}
					logged := make([]webhook.Logged, len(events))
					for i, e := range events {
						logged[i] = webhook.Logged{Event: e}
					}
					return events, hooks.Enqueue(ctx, tx, logged)
				})
			}
			q := sqlite.NewQueue(seq, apply, func(events []domain.Event, touched domain.Touched) {
				_ = p.Committed(context.Background(), events, touched) // in process: cannot fail
				m.EventsPersisted.Add(float64(len(events)))
				live.Append(events)
				bg.Add(events)
				deliveries.Wake()
			}, 512)
			lc.Append(fx.Hook{OnStart: func(context.Context) error { q.Start(); return nil }, OnStop: func(context.Context) error { q.Close(); return nil }})
			return q
		}),
		fx.Provide(func(q *sqlite.Queue, tally ports.ChatTally, m *metrics.Metrics, log *zap.Logger) ports.EventQueue {
			return countAppends(tallyAppends(q, tally, log), streamCfg, m)
		}),
	)
}
