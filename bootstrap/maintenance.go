package bootstrap

import (
	"context"
	"database/sql"
	"errors"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/entstore"
)

// Migrate is the migrate command: the services' MySQL module (which waits
// for the database at start as they do) and the versioned migrations
// applied once it answers; applied hears how many ran.
func Migrate(cfg Config, applied func(n int)) fx.Option {
	return fx.Options(
		core(cfg),
		mysqlModule,
		fx.Invoke(func(lc fx.Lifecycle, db *sql.DB) {
			lc.Append(fx.StartHook(func(ctx context.Context) error {
				n, err := entstore.Migrate(ctx, db, "mysql")
				if err == nil {
					applied(n)
				}
				return err
			}))
		}),
	)
}

// RunOnce starts the graph, which does its work at start, and stops it.
func RunOnce(opt fx.Option) error {
	app := fx.New(opt, fx.NopLogger)
	if err := app.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	startErr := app.Start(ctx)
	stopCtx, cancelStop := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancelStop()
	return errors.Join(startErr, app.Stop(stopCtx))
}
