package bootstrap

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"
	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/ports"
)

// storePorts binds the ent store to every port it implements.
var storePorts = fx.Provide(
	fx.Annotate(func(s *entstore.Store) *entstore.Store { return s },
		fx.As(new(ports.ApplicationStore)), fx.As(new(ports.ChatReader)), fx.As(new(ports.MessageReader)),
		fx.As(new(ports.SequenceSeeds)), fx.As(new(ports.MessageNumbers)), fx.As(new(ports.SequenceFences)), fx.As(new(ports.Projection)), fx.As(new(ports.Counters)), fx.As(new(ports.MemberStore)),
		fx.As(new(ports.ReadPositions)), fx.As(new(ports.TallySeeds)),
		fx.As(new(ports.JobStore)), fx.As(new(ports.ApplicationPurge)), fx.As(new(ports.RetentionStore))),
)

// MySQL: the production system of record (and its read replica), waited
// for at start.
func mysqlModule(c MySQLConfig) fx.Option {
	return fx.Module("mysql",
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle) (*entstore.Store, *sql.DB, error) {
			db, err := entstore.OpenMySQL(c.DSN, c.MaxOpen)
			if err != nil {
				return nil, nil, err
			}
			s := entstore.New(db, dialect.MySQL).WithApplyParts(c.ApplyParts)
			if c.ReplicaDSN != "" {
				replica, err := entstore.OpenMySQL(c.ReplicaDSN, c.MaxOpen)
				if err != nil {
					return nil, nil, fmt.Errorf("CHAT_MYSQL_REPLICA_DSN: %w", err)
				}
				s.WithReplica(replica)
			}
			dependency(lc, startup, "MySQL (CHAT_MYSQL_DSN, CHAT_MYSQL_REPLICA_DSN)", s.Ping, func(context.Context) error { return s.Close() })
			return s, db, nil
		}),
		storePorts,
		readiness(func(s *entstore.Store) httpapi.Check { return httpapi.Check{Name: "mysql", Ping: s.Ping} }),
	)
}
