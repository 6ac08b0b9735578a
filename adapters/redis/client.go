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
	return connect(ctx, rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true}, attempts, every)
}

// ConnectCaching opens a client whose DoCache answers are kept in process
// (up to cacheBytes) and dropped when Redis says the key changed; without
// cacheBytes, a client that caches nothing.
func ConnectCaching(ctx context.Context, addr string, cacheBytes int, attempts int, every time.Duration) (rueidis.Client, error) {
	// One connection (PipelineMultiplex -1): the invalidations Redis sends
	// about what this client cached arrive on the connection its own writes
	// use, in order, so its own lookups see its own invalidations.
	return connect(ctx, rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: cacheBytes <= 0,
		CacheSizeEachConn: cacheBytes, PipelineMultiplex: -1}, attempts, every)
}

func connect(ctx context.Context, opt rueidis.ClientOption, attempts int, every time.Duration) (rueidis.Client, error) {
	addr := opt.InitAddress[0]
	client, err := backoff.Retry(ctx, func() (rueidis.Client, error) {
		return rueidis.NewClient(opt)
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
