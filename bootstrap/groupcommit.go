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
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// The embedded profile's event queue: creates numbered and persisted in
// group-committed SQLite transactions (answered once durable), then told
// to the projector, the live log and the background indexer.
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
			bg *application.BackgroundIndexer, live *memory.LiveLog, m *metrics.Metrics) *sqlite.Queue {
			q := sqlite.NewQueue(seq, store.ApplyAllocated, func(events []domain.Event, touched domain.Touched) {
				_ = p.Committed(context.Background(), events, touched) // in process: cannot fail
				m.EventsPersisted.Add(float64(len(events)))
				live.Append(events)
				bg.Add(events)
			}, 512)
			lc.Append(fx.Hook{OnStart: func(context.Context) error { q.Start(); return nil }, OnStop: func(context.Context) error { q.Close(); return nil }})
			return q
		}),
		fx.Provide(func(q *sqlite.Queue, m *metrics.Metrics) ports.EventQueue { return countAppends(q, streamCfg, m) }),
	)
}
