package redis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/internal/commalist"
)

// Connect opens a rueidis client (rueidis dials at once: an error means
// Redis did not answer). Waiting for Redis at start is the caller's. addr
// is one address, or a comma-separated list of a Redis Cluster's seed
// nodes: the client then learns the slots' nodes and sends each command to
// its key's node, following the cluster as it changes.
func Connect(addr string) (rueidis.Client, error) {
	return connect(rueidis.ClientOption{InitAddress: Addresses(addr), DisableCache: true})
}

// Addresses splits CHAT_REDIS_ADDR: more than one means a Redis Cluster.
func Addresses(addr string) []string { return commalist.Split(addr) }

// ConnectCaching opens a client whose DoCache answers are kept in process
// (up to cacheBytes) and dropped when Redis says the key changed; without
// cacheBytes, a client that caches nothing.
func ConnectCaching(addr string, cacheBytes int) (rueidis.Client, error) {
	return connect(cachingOption(addr, cacheBytes))
}

func cachingOption(addr string, cacheBytes int) rueidis.ClientOption {
	// One connection (PipelineMultiplex -1): the invalidations Redis sends
	// about what this client cached arrive on the connection its own writes
	// use, in order, so its own lookups see its own invalidations.
	return rueidis.ClientOption{InitAddress: Addresses(addr), DisableCache: cacheBytes <= 0,
		CacheSizeEachConn: cacheBytes, PipelineMultiplex: -1}
}

// maxRetries bounds rueidis's retries of a read-only command after a
// network error (by default, until the context ends): a Redis that is down
// is answered as down at once, and the callers that can do without it
// (the read cache, the access lookup, the degraded write path) go on
// without waiting for their timeouts.
const maxRetries = 3

func boundedRetry(attempts int, cmd rueidis.Completed, err error) time.Duration {
	if attempts >= maxRetries {
		return -1
	}
	return time.Duration(1<<attempts) * time.Millisecond
}

func connect(opt rueidis.ClientOption) (rueidis.Client, error) {
	opt.RetryDelay = boundedRetry
	client, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("redis at %s: %w", strings.Join(opt.InitAddress, ","), err)
	}
	return client, nil
}

// Ping tells whether Redis answers.
func Ping(ctx context.Context, client rueidis.Client) error {
	return client.Do(ctx, client.B().Ping().Build()).Error()
}
