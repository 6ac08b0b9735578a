package bootstrap

import (
	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/application/decorator"
	"github.com/chatsvc/chat/ports"
)

// In process, for the embedded profile (one process): the per-application
// rate limits, the applications' access, the chats' members, the notices between users' streams, the read cache, and the event log live streams tail (the
// last 10,000 events kept to resume from).
func memoryModule(cacheCfg ReadCacheConfig) fx.Option {
	return fx.Module("memory",
		fx.Provide(func(clock ports.Clock) ports.RateLimiter { return memory.NewLimiter(clock) }),
		fx.Provide(fx.Annotate(memory.NewApplicationAccess, fx.As(new(ports.ApplicationAccess)), fx.As(new(ports.KeyPurge)))),
		fx.Provide(func() ports.MemberCache { return memory.NewMemberCache() }),
		fx.Provide(func() ports.Notices { return memory.NewNotices() }),
		fx.Provide(func(m *metrics.Metrics) ports.ReadCache {
			if cacheCfg.MB == 0 {
				return decorator.NoReadCache{}
			}
			// Entries average a few KB (a page of 50 messages is the largest).
			return countLookups(memory.NewReadCache(cacheCfg.MB*256, cacheCfg.TTL), m)
		}),
		fx.Provide(
			func() *memory.LiveLog { return memory.NewLiveLog(10_000) },
			func(l *memory.LiveLog) ports.LiveLog { return l },
		),
	)
}
