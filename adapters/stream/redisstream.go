package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/eventwire"
)

// RedisConfig tunes the Redis Streams transport.
type RedisConfig struct {
	ConsumerGroup string
	// ConsumerName is this worker's name in the group; subscriber i is ConsumerName-i.
	ConsumerName string
	// ClaimIdle: an event delivered to a consumer and not acknowledged for this
	// long (its worker died) is claimed by another consumer.
	ClaimIdle     time.Duration
	ClaimInterval time.Duration
	// MaxLen caps each stream (approximately); 0 keeps everything.
	MaxLen int64
}

// NewRedisClient is the go-redis client of the streams: on one Redis, or
// on a Redis Cluster when addrs lists several seed nodes (the cluster's
// client sends each stream's commands to its slot's node; pool is per
// node then). RESP2: the streams need no push notifications, and go-redis
// checks for them around every command under RESP3 (a tenth of the
// worker's CPU).
func NewRedisClient(addrs []string, pool int) goredis.UniversalClient {
	return goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: addrs, PoolSize: pool,
		MinIdleConns: min(pool, 16), Protocol: 2})
}

// shared keeps Watermill from closing a client it does not own: its
// subscribers and publishers close their client on Close, and several of
// them share one, which the caller closes last.
type shared struct{ goredis.UniversalClient }

func (shared) Close() error { return nil }

// NewRedisPublisher appends to Redis streams through go-redis.
func NewRedisPublisher(client goredis.UniversalClient, cfg RedisConfig, log *zap.Logger) (message.Publisher, error) {
	return redisstream.NewPublisher(redisstream.PublisherConfig{Client: shared{client}, DefaultMaxlen: cfg.MaxLen}, NewZapLogger(log))
}

// NewRedisSubscriber is the worker's subscriber in cfg's consumer group:
// batched reads and acknowledgements, up to inFlight events in hand per
// partition.
func NewRedisSubscriber(client goredis.UniversalClient, cfg RedisConfig, inFlight int, log *zap.Logger) (message.Subscriber, error) {
	return NewBatchSubscriber(BatchSubscriberConfig{
		Client:        client,
		ConsumerGroup: cfg.ConsumerGroup,
		Consumer:      cfg.ConsumerName,
		MaxInFlight:   inFlight,
		ReadCount:     int64(min(max(inFlight, 1), 256)),
		ClaimIdle:     cfg.ClaimIdle,
		ClaimInterval: cfg.ClaimInterval,
		OldestID:      "0", // a group created late still sees every event
	}, NewZapLogger(log))
}

// EnsureGroups creates each consumer group on each partition where it is
// missing, reading from the start of the stream. Subscribers create their
// group once, when they start; after Redis lost its data (restarted empty)
// the groups are gone and every read fails with NOGROUP until something
// creates them again: workers call this periodically so that they carry on
// by themselves. It returns how many groups it created.
func EnsureGroups(ctx context.Context, client goredis.UniversalClient, topics eventwire.Topics, groups []string) (int, error) {
	created := 0
	for _, topic := range topics.All() {
		for _, g := range groups {
			err := client.XGroupCreateMkStream(ctx, topic, g, "0").Err()
			switch {
			case err == nil:
				created++
			case goredis.HasErrorPrefix(err, "BUSYGROUP"):
			default:
				return created, fmt.Errorf("consumer group %s on %s: %w", g, topic, err)
			}
		}
	}
	return created, nil
}

// GroupKeeper runs EnsureGroups for the worker and remembers whether it
// could, for /readyz: Check once before the subscribers start (a failure
// is only reported), then periodically.
type GroupKeeper struct {
	client goredis.UniversalClient
	topics eventwire.Topics
	groups []string
	log    *zap.Logger
	mu     sync.Mutex
	err    error
}

func NewGroupKeeper(client goredis.UniversalClient, topics eventwire.Topics, groups []string, log *zap.Logger) *GroupKeeper {
	return &GroupKeeper{client: client, topics: topics, groups: groups, log: log, err: errors.New("consumer groups not checked yet")}
}

// Check creates the groups that are missing.
func (k *GroupKeeper) Check(ctx context.Context) {
	n, err := EnsureGroups(ctx, k.client, k.topics, k.groups)
	if n > 0 {
		k.log.Warn("recreated missing consumer groups (did Redis lose its data?)", zap.Int("groups", n))
	}
	k.mu.Lock()
	k.err = err
	k.mu.Unlock()
}

// Ready says whether every consumer group was there at the last Check.
func (k *GroupKeeper) Ready(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}
