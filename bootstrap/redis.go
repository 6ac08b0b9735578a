package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/adapters/metrics"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/adapters/streamlog"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Redis (rueidis): the production number sequences.
func sequencerModule(redisCfg RedisConfig, streamCfg StreamConfig) fx.Option {
	return fx.Module("sequencer",
		fx.Supply(fx.Private, streamCfg),
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle) rueidis.Client {
			return connectAtStart(lc, startup, func() (rueidis.Client, error) { return redisadapter.Connect(redisCfg.Addr) })
		}),
		// One script allocates a number and appends its event: the sequencer is the api's queue.
		fx.Provide(func(client rueidis.Client, fences ports.SequenceFences) *redisadapter.Sequencer {
			return redisadapter.NewSequencer(client, fences, redisadapter.Config{
				Topics: streamCfg.Topics(), MaxLen: streamCfg.MaxLen, Lease: redisCfg.SequenceLease, HistoryCheck: redisCfg.HistoryCheck})
		}),
		fx.Provide(func(s *redisadapter.Sequencer) ports.Sequencer { return s }),
		fx.Provide(func(client rueidis.Client) ports.IdempotencyClaims { return redisadapter.NewClaims(client) }),
		// The per-application rate limits, shared by every api instance.
		fx.Provide(func(client rueidis.Client) ports.RateLimiter { return redisadapter.NewLimiter(client) }),
		// Writes are refused while their partition's queue is too long (CHAT_MAX_BACKLOG).
		fx.Provide(func(client goredis.UniversalClient) *streamlog.BacklogGate {
			return streamlog.NewBacklogGate(client, streamCfg.Topics(), streamCfg.Groups(), streamCfg.MaxBacklog)
		}),
		fx.Invoke(watchWriteBacklog),
		fx.Provide(fx.Annotate(func(seq *redisadapter.Sequencer, gate *streamlog.BacklogGate, m *metrics.Metrics) countingQueue {
			return countingQueue{application.AdmitWrites(seq, gate), streamCfg.Topics(), m}
		}, fx.As(new(ports.EventQueue)))),
	)
}

// watchWriteBacklog refreshes the api's write admission.
func watchWriteBacklog(lc fx.Lifecycle, streamCfg StreamConfig, gate *streamlog.BacklogGate, m *metrics.Metrics, log *zap.Logger) {
	if streamCfg.MaxBacklog <= 0 {
		return
	}
	every(lc, streamCfg.BacklogEvery, func(ctx context.Context) {
		backlog, err := gate.Refresh(ctx)
		if err != nil {
			log.Debug("stream backlog", zap.Error(err))
			return
		}
		for topic, n := range backlog {
			m.WriteBacklog.WithLabelValues(topic).Set(float64(n))
			if gate.Over(n) {
				log.Warn("refusing writes: the queue is over CHAT_MAX_BACKLOG", zap.String("partition", topic), zap.Int64("backlog", n), zap.Int64("max", streamCfg.MaxBacklog))
			}
		}
	})
}

// startedClient is a rueidis client connected when the graph starts, so
// that building the graph does no I/O: its users hold it from construction
// and call it only once started.
type startedClient struct{ rueidis.Client }

func connectAtStart(lc fx.Lifecycle, startup StartupConfig, connect func() (rueidis.Client, error)) rueidis.Client {
	c := &startedClient{}
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			client, err := retryAtStart(ctx, startup, func(context.Context) (rueidis.Client, error) { return connect() })
			if err != nil {
				return fmt.Errorf("Redis (CHAT_REDIS_ADDR) cannot be reached: %w", err)
			}
			c.Client = client
			return nil
		},
		OnStop: func(context.Context) error {
			if c.Client != nil {
				c.Client.Close()
			}
			return nil
		},
	})
	return c
}

// countingQueue counts the events a queue appends, by topic.
type countingQueue struct {
	ports.EventQueue
	topics eventwire.Topics
	m      *metrics.Metrics
}

func (q countingQueue) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	ev, replayed, err := q.EventQueue.Append(ctx, draft, idem)
	if err == nil && !replayed {
		token, _, _, _, _ := domain.Subject(ev)
		q.m.EventsPublished.WithLabelValues(q.topics.For(token)).Inc()
	} else if errors.Is(err, domain.ErrOverloaded) {
		q.m.WritesRefused.Inc()
	}
	return ev, replayed, err
}

// go-redis for Watermill's Redis Streams, kept apart from rueidis.
func newGoRedis(redisCfg RedisConfig, streamCfg StreamConfig, startup StartupConfig, lc fx.Lifecycle) (goredis.UniversalClient, error) {
	// Per partition and consumer group: a blocked reader, a claimer and an
	// acknowledger; plus the publishers, trims and gauges.
	pool := 6*streamCfg.Partitions + 32
	client := stream.NewRedisClient(redisadapter.Addresses(redisCfg.Addr), pool)
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			if _, err := retryAtStart(ctx, startup, func(ctx context.Context) (string, error) { return client.Ping(ctx).Result() }); err != nil {
				return fmt.Errorf("Redis (CHAT_REDIS_ADDR) cannot be reached: %w", err)
			}
			return nil
		},
		OnStop: func(context.Context) error { return client.Close() },
	})
	return client, nil
}

// go-redis on the event streams (the api's live log and write admission,
// the worker's subscribers) and a Watermill publisher over it (the
// dead-letter stream and its replays).
func redisPublisherModule(redisCfg RedisConfig, streamCfg StreamConfig) fx.Option {
	return fx.Module("stream-publisher",
		fx.Supply(fx.Private, redisCfg, streamCfg),
		fx.Provide(newGoRedis),
		fx.Provide(func(client goredis.UniversalClient, log *zap.Logger) (message.Publisher, error) {
			return stream.NewRedisPublisher(client, stream.RedisConfig{MaxLen: streamCfg.MaxLen}, log)
		}),
	)
}
