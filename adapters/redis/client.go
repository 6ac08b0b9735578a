package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/redis/rueidis"
)

// Connect opens a rueidis client and waits (bounded) for Redis to answer.
func Connect(ctx context.Context, addr string, attempts int, every time.Duration) (rueidis.Client, error) {
	client, err := backoff.Retry(ctx, func() (rueidis.Client, error) {
		return rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	}, backoff.WithBackOff(backoff.NewConstantBackOff(every)), backoff.WithMaxTries(uint(max(attempts, 1))), backoff.WithMaxElapsedTime(0))
	if err != nil {
		return nil, fmt.Errorf("redis at %s: %w", addr, err)
	}
	return client, nil
}

// Ping tells whether Redis answers.
func Ping(ctx context.Context, client rueidis.Client) error {
	return client.Do(ctx, client.B().Ping().Build()).Error()
}
