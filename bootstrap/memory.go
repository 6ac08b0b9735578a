package bootstrap

import (
	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/embedded"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/application/decorator"
	"github.com/chatsvc/chat/ports"
)

// In process, for the embedded profile (one process): the per-application
// rate limits, the read cache, and the event log live streams tail (the
// last 10,000 events kept to resume from).
func memoryModule(cacheCfg ReadCacheConfig) fx.Option {
	return fx.Module("memory",
		fx.Provide(func() ports.RateLimiter { return embedded.NewLimiter() }),
		fx.Provide(func(m *metrics.Metrics) ports.ReadCache {
			if cacheCfg.MB == 0 {
				return decorator.NoReadCache{}
			}
			// Entries average a few KB (a page of 50 messages is the largest).
			return countLookups(embedded.NewReadCache(cacheCfg.MB*256, cacheCfg.TTL), m)
		}),
		fx.Provide(
			func() *embedded.LiveLog { return embedded.NewLiveLog(10_000) },
			func(l *embedded.LiveLog) ports.LiveLog { return l },
		),
	)
}
