package bootstrap

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/adapters/stream"
)

// go-redis on the event streams (the api's live log and write admission,
// the worker's subscribers), kept apart from rueidis, and a Watermill
// publisher over it (the dead-letter stream and its replays).
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
	)
}
