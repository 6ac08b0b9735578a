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
		core(cfg.Profile, cfg.Log, cfg.Startup, cfg.Debug),
		mysqlModule(cfg.MySQL),
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
	stop, err := start(opt)
	if err != nil {
		return err
	}
	return stop()
}

// Maintenance starts what the maintenance commands work with, built by
// the services' own modules and waited for as the services wait for it:
// the MySQL store (*entstore.Store), the search index's client
// (*opensearch.Index, not ensured: a rebuild makes its own), go-redis for
// the streams (goredis.UniversalClient) and their publisher
// (message.Publisher). Only what targets point to (as fx.Populate takes
// them) is built and started; stop stops it.
func Maintenance(cfg Config, targets ...any) (stop func() error, err error) {
	return start(fx.Options(core(cfg.Profile, cfg.Log, cfg.Startup, cfg.Debug), mysqlModule(cfg.MySQL), opensearchIndex(cfg.OpenSearch),
		goredisModule(cfg.Redis, cfg.Stream), fx.Populate(targets...)))
}

func start(opt fx.Option) (stop func() error, err error) {
	app := fx.New(opt, fx.NopLogger)
	if err := app.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.Start(ctx); err != nil {
		return nil, errors.Join(err, stopApp(app))
	}
	return func() error { return stopApp(app) }, nil
}

func stopApp(app *fx.App) error {
	ctx, cancel := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancel()
	return app.Stop(ctx)
}
