package bootstrap

import (
	"context"
	"fmt"
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

// dependency starts what a process needs (a connection, a database that
// answers) at start and stops it at stop. start is one attempt, bounded; it
// is tried CHAT_STARTUP_ATTEMPTS times, CHAT_STARTUP_RETRY apart, so that a
// process started before its dependency waits for it a bounded time and
// then says what it waited for (what). The one wait-at-start policy:
// adapters offer a single attempt.
func dependency(lc fx.Lifecycle, startup StartupConfig, what string, start, stop func(context.Context) error) {
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			_, err := backoff.Retry(ctx, func() (struct{}, error) {
				tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				return struct{}{}, start(tctx)
			}, backoff.WithBackOff(backoff.NewConstantBackOff(startup.Every)), backoff.WithMaxTries(uint(max(startup.Attempts, 1))), backoff.WithMaxElapsedTime(0))
			if err != nil {
				return fmt.Errorf("%s cannot be reached: %w", what, err)
			}
			return nil
		},
		OnStop: stop,
	})
}
