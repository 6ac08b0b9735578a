package bootstrap

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/adapters/metrics"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// The read cache on Redis: the api looks up (hits served from its own
// memory, kept true by Redis' invalidation messages), the worker
// invalidates. Its own rueidis client, apart from the sequencer's: only
// this one asks Redis to track what it reads.
func redisReadCacheModule(redisCfg RedisConfig, cacheCfg ReadCacheConfig) fx.Option {
	return fx.Module("read-cache",
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle, m *metrics.Metrics) ports.ReadCache {
			client := connectAtStart(lc, startup, func() (rueidis.Client, error) {
				return redisadapter.ConnectCaching(redisCfg.Addr, cacheCfg.MB<<20)
			})
			return countReadCache(redisadapter.NewReadCache(client, cacheCfg.TTL), m)
		}),
	)
}

// countingReadCache counts lookups by result, and invalidations that failed.
type countingReadCache struct {
	ports.ReadCache
	hit, miss, failed prometheus.Counter
}

func countReadCache(c ports.ReadCache, m *metrics.Metrics) ports.ReadCache {
	return countingReadCache{c, m.ReadCache.WithLabelValues("hit"), m.ReadCache.WithLabelValues("miss"),
		m.ReadCache.WithLabelValues("invalidate_failed")}
}

func (c countingReadCache) Lookup(ctx context.Context, chat domain.ChatKey, key string) ([]byte, string, bool) {
	v, slot, hit := c.ReadCache.Lookup(ctx, chat, key)
	if hit {
		c.hit.Inc()
	} else {
		c.miss.Inc()
	}
	return v, slot, hit
}

func (c countingReadCache) Invalidate(ctx context.Context, chats []domain.ChatKey) error {
	err := c.ReadCache.Invalidate(ctx, chats)
	if err != nil {
		c.failed.Inc()
	}
	return err
}

// The read cache in process, for the embedded profile.
func embeddedReadCacheModule(cacheCfg ReadCacheConfig) fx.Option {
	return fx.Provide(func(m *metrics.Metrics) ports.ReadCache {
		if cacheCfg.MB == 0 {
			return application.NoReadCache{}
		}
		// Entries average a few KB (a page of 50 messages is the largest).
		return countReadCache(memory.NewReadCache(cacheCfg.MB*256, cacheCfg.TTL), m)
	})
}

// cachedReads puts the read cache in front of the store for the api's use
// cases, unless CHAT_READ_CACHE_MB is 0 or reads come from a replica: a
// chat's generation changes when the primary commits, and a read of the
// replica just after could store what the replica had not applied yet.
func cachedReads(cacheCfg ReadCacheConfig) fx.Option {
	return fx.Decorate(func(store *entstore.Store, chats ports.ChatReader, msgs ports.MessageReader, cache ports.ReadCache) (ports.ChatReader, ports.MessageReader) {
		if cacheCfg.MB == 0 || store.ReadsFromReplica() {
			return chats, msgs
		}
		r := application.NewCachedReads(chats, msgs, cache)
		return r, r
	})
}
