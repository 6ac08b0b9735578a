package bootstrap

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
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

// retryAtStart tries what a process needs at start (a dependency that
// answers) CHAT_STARTUP_ATTEMPTS times, CHAT_STARTUP_RETRY apart, each try
// bounded, so that a process started before its dependency waits for it a
// bounded time and then says what it waited for. The one wait-at-start
// policy: adapters offer a single attempt.
func retryAtStart[T any](ctx context.Context, startup StartupConfig, try func(context.Context) (T, error)) (T, error) {
	return backoff.Retry(ctx, func() (T, error) {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return try(tctx)
	}, backoff.WithBackOff(backoff.NewConstantBackOff(startup.Every)), backoff.WithMaxTries(uint(max(startup.Attempts, 1))), backoff.WithMaxElapsedTime(0))
}
