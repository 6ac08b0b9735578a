package bootstrap

import (
	"context"
	"time"

	"go.uber.org/fx"
)

// every runs fn at each interval from start to stop.
func every(lc fx.Lifecycle, interval time.Duration, fn func(ctx context.Context)) {
	inBackground(lc, func(ctx context.Context) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	})
}

// inBackground runs fn from start to stop: its context ends at stop, and
// stop waits for it to return. Start hooks must not block.
func inBackground(lc fx.Lifecycle, fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() { defer close(done); fn(ctx) }()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); <-done; return nil },
	})
}
