package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/rueidis"
)

// Connect opens a rueidis client and waits (bounded) for Redis to answer.
func Connect(ctx context.Context, addr string, attempts int, every time.Duration) (rueidis.Client, error) {
	var lastErr error
	for i := 0; i < attempts; i++ {
		client, err := rueidis.NewClient(rueidis.ClientOption{
			InitAddress:  []string{addr},
			DisableCache: true,
		})
		if err == nil {
			return client, nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(every):
		}
	}
	return nil, fmt.Errorf("redis at %s: %w", addr, lastErr)
}

// Ping tells whether Redis answers.
func Ping(ctx context.Context, client rueidis.Client) error {
	return client.Do(ctx, client.B().Ping().Build()).Error()
}
