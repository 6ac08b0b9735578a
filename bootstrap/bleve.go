package bootstrap

import (
	"context"
	"path/filepath"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/bleve"
	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/ports"
)

// The embedded search index (Bleve) under CHAT_DATA_DIR, with the database
// as its fallback. Bleve persists in the background, so a crash can lose
// its last writes: at every start the index is repaired from the database
// (versioned, so this changes nothing that is already right), in the
// background. While it is unusable, search answers from the database.
func bleveModule(c SQLiteConfig) fx.Option {
	return fx.Module("bleve",
		fx.Provide(func(lc fx.Lifecycle, store *entstore.Store, log *zap.Logger) *bleve.Index {
			ix := bleve.NewIndex(filepath.Join(c.DataDir, "search.bleve"))
			lc.Append(fx.Hook{OnStart: func(context.Context) error { return ix.Open() }, OnStop: func(context.Context) error { return ix.Close() }})
			inBackground(lc, func(ctx context.Context) {
				n, err := bleve.Repair(ctx, ix, store)
				if err != nil && ctx.Err() == nil {
					log.Warn("repairing the embedded search index", zap.Error(err))
					return
				}
				log.Debug("embedded search index repaired", zap.Int("messages", n))
			})
			return ix
		}),
		fx.Provide(func(ix *bleve.Index) ports.SearchIndex { return ix }),
		fx.Provide(func(ix *bleve.Index) ports.IndexPurge { return ix }),
		fx.Provide(func(s *entstore.Store) ports.SearchFallback { return s }),
		fx.Provide(application.NewIndexer),
	)
}
