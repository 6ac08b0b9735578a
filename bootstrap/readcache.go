package bootstrap

import (
	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/metrics"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/application/decorator"
	"github.com/chatsvc/chat/ports"
)

// The read cache on Redis: the api looks up (hits served from its own
// memory, kept true by Redis' invalidation messages), the worker
// invalidates. Its own rueidis client, apart from the sequencer's: only
// this one asks Redis to track what it reads.
func readCacheModule(redisCfg RedisConfig, cacheCfg ReadCacheConfig) fx.Option {
	return fx.Module("read-cache",
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle, m *metrics.Metrics) ports.ReadCache {
			client := startRedis(lc, startup, redisadapter.NewCachingClient(redisCfg.Addr, cacheCfg.MB<<20))
			return countLookups(redisadapter.NewReadCache(client, cacheCfg.TTL), m)
		}),
	)
}

// The applications' access (mode, secrets' hashes) and the chats' members
// (visibility, users' roles) in Redis, read through
// a caching client of its own: every request needs it, and Redis' tracking
// keeps each api's memory true (see redis.ApplicationAccess). It caches
// even when the read cache is off (CHAT_READ_CACHE_MB=0): it is small, and
// without it every request would go to Redis.
func accessModule(redisCfg RedisConfig) fx.Option {
	return fx.Module("access",
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle) (ports.ApplicationAccess, ports.MemberCache) {
			client := startRedis(lc, startup, redisadapter.NewCachingClient(redisCfg.Addr, accessCacheBytes))
			return redisadapter.NewApplicationAccess(client), redisadapter.NewMemberCache(client)
		}),
	)
}

// accessCacheBytes: an application's access is about 200 bytes, a user's
// role in a chat about 100.
const accessCacheBytes = 16 << 20

// countLookups counts a read cache's lookups by result, and its
// invalidations that failed.
func countLookups(c ports.ReadCache, m *metrics.Metrics) ports.ReadCache {
	return decorator.CountLookups(c, decorator.ReadCacheHooks{Hit: m.ReadCache.WithLabelValues("hit").Inc,
		Miss: m.ReadCache.WithLabelValues("miss").Inc, InvalidateFailed: m.ReadCache.WithLabelValues("invalidate_failed").Inc})
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
		r := decorator.NewCachedReads(chats, msgs, cache)
		return r, r
	})
}
