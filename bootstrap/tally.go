package bootstrap

import (
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/memory"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/application/decorator"
	"github.com/chatsvc/chat/ports"
)

// The chats' tallies (exact unread counts, ports.ChatTally) in Redis,
// shared by every api instance and the persisting workers, on a client of
// their own. In the api every acknowledged write is recorded before its
// answer (tallyAppends); a worker records what it persists again
// (tallyPersisted), for what was acknowledged while Redis could not be
// reached or recorded in a tally Redis lost since.
func redisTallyModule(redisCfg RedisConfig) fx.Option {
	return fx.Module("tally",
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle, seeds ports.TallySeeds) ports.ChatTally {
			return redisadapter.NewTally(startRedis(lc, startup, redisadapter.NewClient(redisCfg.Addr)), seeds)
		}),
	)
}

// In the embedded profile the tallies are the process's, built from SQLite
// the first time each chat is used.
var memoryTally = fx.Provide(func(seeds ports.TallySeeds) ports.ChatTally { return memory.NewTally(seeds) })

// tallyAppends records the writes q acknowledges in the tallies.
func tallyAppends(q ports.EventQueue, tally ports.ChatTally, log *zap.Logger) ports.EventQueue {
	return decorator.TallyAppends(q, tally, func(err error) {
		log.Warn("unread counts: a write was not recorded; the worker records it once persisted", zap.Error(err))
	})
}

// tallyPersisted records the worker's persisted events in the tallies.
var tallyPersisted = fx.Decorate(func(p ports.Projection, tally ports.ChatTally, log *zap.Logger) ports.Projection {
	return decorator.TallyPersisted(p, tally, func(err error) {
		log.Warn("unread counts: a persisted batch was not recorded", zap.Error(err))
	})
})
