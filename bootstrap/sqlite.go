package bootstrap

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	"entgo.io/ent/dialect"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/ports"
)

// SQLite: the embedded profile's system of record under CHAT_DATA_DIR,
// migrated at start, with its number sequences and idempotency claims.
func sqliteModule(c SQLiteConfig) fx.Option {
	return fx.Module("sqlite",
		fx.Provide(func(lc fx.Lifecycle, log *zap.Logger) (*entstore.Store, *sql.DB, error) {
			db, err := entstore.OpenSQLite(c.DataDir)
			if err != nil {
				return nil, nil, err
			}
			s := entstore.New(db, dialect.SQLite)
			// Migrated first thing at start: every hook that uses the database
			// was appended after this one (its constructor needed the store).
			lc.Append(fx.Hook{
				OnStart: func(ctx context.Context) error {
					if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
						return fmt.Errorf("CHAT_DATA_DIR: %w", err)
					}
					n, err := entstore.Migrate(ctx, db, "sqlite3")
					if err != nil {
						return fmt.Errorf("embedded database in %s: %w", c.DataDir, err)
					}
					log.Info("embedded profile", zap.String("data_dir", c.DataDir), zap.Int("migrations_applied", n))
					return nil
				},
				OnStop: func(context.Context) error { return s.Close() },
			})
			return s, db, nil
		}),
		storePorts,
		fx.Provide(sqlite.NewSequencer),
		fx.Provide(func(db *sql.DB) ports.IdempotencyClaims { return sqlite.NewClaims(db) }),
		fx.Provide(func(s *sqlite.Sequencer) ports.Sequencer { return s }),
		readiness(func(s *entstore.Store) httpapi.Check { return httpapi.Check{Name: "database", Ping: s.Ping} }),
	)
}
