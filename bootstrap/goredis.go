package bootstrap

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/ports"
)

// go-redis for Watermill's Redis Streams, kept apart from rueidis, and the
// streams' publisher (the dead letters' and their replay's).
func goredisModule(redisCfg RedisConfig, streamCfg StreamConfig) fx.Option {
	return fx.Module("goredis",
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle) goredis.UniversalClient {
			// Per partition and consumer group: a blocked reader, a claimer and
			// an acknowledger; plus the publishers, trims and gauges.
			client := stream.NewRedisClient(redisadapter.Addresses(redisCfg.Addr), 6*streamCfg.Partitions+32)
			dependency(lc, startup, "Redis (CHAT_REDIS_ADDR)", func(ctx context.Context) error { return client.Ping(ctx).Err() },
				func(context.Context) error { return client.Close() })
			return client
		}),
		fx.Provide(func(client goredis.UniversalClient, log *zap.Logger) (message.Publisher, error) {
			return stream.NewRedisPublisher(client, stream.RedisConfig{MaxLen: streamCfg.MaxLen}, log)
		}),
		fx.Provide(fx.Annotate(
			func(pub message.Publisher, m *metrics.Metrics) *stream.Publisher {
				return stream.NewPublisher(pub, streamCfg.Topics(), "redis", func(topic string) {
					m.EventsPublished.WithLabelValues(topic).Inc()
				})
			}, fx.As(new(ports.EventPublisher)))),
	)
}
