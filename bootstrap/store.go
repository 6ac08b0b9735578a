package bootstrap

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/embedded"
	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/ports"
)

// storePorts binds the ent store to every port it implements.
var storePorts = fx.Provide(
	fx.Annotate(func(s *entstore.Store) *entstore.Store { return s },
		fx.As(new(ports.ApplicationStore)), fx.As(new(ports.ChatReader)), fx.As(new(ports.MessageReader)),
		fx.As(new(ports.SequenceSeeds)), fx.As(new(ports.MessageNumbers)), fx.As(new(ports.SequenceFences)), fx.As(new(ports.Projection)), fx.As(new(ports.Counters))),
)

// MySQL: the production system of record.
func mysqlModule(mysqlCfg MySQLConfig) fx.Option {
	return fx.Module("mysql",
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle, log *zap.Logger) (*entstore.Store, *sql.DB, error) {
			db, err := entstore.OpenMySQL(mysqlCfg.DSN, mysqlCfg.MaxOpen)
			if err != nil {
				return nil, nil, err
			}
			s := entstore.New(db, dialect.MySQL).WithApplyParts(mysqlCfg.ApplyParts)
			if mysqlCfg.ReplicaDSN != "" {
				replica, err := entstore.OpenMySQL(mysqlCfg.ReplicaDSN, mysqlCfg.MaxOpen)
				if err != nil {
					return nil, nil, fmt.Errorf("CHAT_MYSQL_REPLICA_DSN: %w", err)
				}
				s.WithReplica(replica)
			}
			lc.Append(fx.Hook{
				OnStart: func(ctx context.Context) error {
					if _, err := retryAtStart(ctx, startup, func(ctx context.Context) (struct{}, error) { return struct{}{}, s.Ping(ctx) }); err != nil {
						return fmt.Errorf("MySQL (CHAT_MYSQL_DSN, CHAT_MYSQL_REPLICA_DSN) cannot be reached: %w", err)
					}
					return nil
				},
				OnStop: func(context.Context) error { return s.Close() },
			})
			return s, db, nil
		}),
		storePorts,
	)
}

// SQLite: the embedded profile's system of record, migrated at start.
func sqliteModule(cfg SQLiteConfig) fx.Option {
	return fx.Module("sqlite",
		fx.Provide(func(lc fx.Lifecycle, log *zap.Logger) (*entstore.Store, *sql.DB, error) {
			db, err := entstore.OpenSQLite(cfg.DataDir)
			if err != nil {
				return nil, nil, err
			}
			s := entstore.New(db, dialect.SQLite)
			// Migrated first thing at start: every hook that uses the database
			// was appended after this one (its constructor needed the store).
			lc.Append(fx.Hook{
				OnStart: func(ctx context.Context) error {
					n, err := entstore.Migrate(ctx, db, "sqlite3")
					if err != nil {
						return fmt.Errorf("embedded database in %s: %w", cfg.DataDir, err)
					}
					log.Info("embedded profile", zap.String("data_dir", cfg.DataDir), zap.Int("migrations_applied", n))
					return nil
				},
				OnStop: func(context.Context) error { return s.Close() },
			})
			return s, db, nil
		}),
		storePorts,
		fx.Provide(embedded.NewSequencer),
		fx.Provide(func(db *sql.DB) ports.IdempotencyClaims { return sqlite.NewClaims(db) }),
		fx.Provide(func(s *embedded.Sequencer) ports.Sequencer { return s }),
	)
}
