package bootstrap

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/internal/commalist"
	"github.com/chatsvc/chat/ports"
)

// The api's use cases and HTTP server; the use cases read through the read
// cache (cachedReads) unless it is off.
func apiModule(api APIConfig, cache ReadCacheConfig) fx.Option {
	return fx.Module("api",
		fx.Supply(fx.Private, api),
		cachedReads(cache),
		fx.Provide(
			application.NewApplications,
			application.NewChats,
			func(api APIConfig, q ports.EventQueue, r ports.MessageReader, clock ports.Clock) *application.Messages {
				return application.NewMessages(q, r, clock, api.MaxBodyBytes)
			},
			newSearchUseCase,
		),
		fx.Provide(newServer),
	)
}

func newServer(api APIConfig, apps *application.Applications, chats *application.Chats, msgs *application.Messages,
	search *application.Search, live *application.Live, limiter ports.RateLimiter, checks []httpapi.Check, m *metrics.Metrics, log *zap.Logger, tp trace.TracerProvider) *httpapi.Server {
	uc := httpapi.UseCases{Applications: apps, Chats: chats, Messages: msgs, Search: search, Live: live, Limiter: limiter}
	cfg := httpapi.Config{Addr: api.Addr, AdminToken: api.AdminToken, MaxRequestBytes: api.MaxRequestBytes, RateLimit: api.RateLimit,
		AppLimits: httpapi.AppLimits{WriteRate: api.AppWriteRate, WriteBurst: api.AppWriteBurst, ReadRate: api.AppReadRate, ReadBurst: api.AppReadBurst},
		Heartbeat: api.Heartbeat, TrustedProxies: commalist.Split(api.TrustedProxies)}
	return httpapi.NewServer(cfg, uc, checks, m, log, tracer(tp, "github.com/chatsvc/chat/adapters/httpapi"))
}

// serveHTTP starts the server last and stops it first, so that in-flight
// requests finish while everything they need is still there.
func serveHTTP(lc fx.Lifecycle, s *httpapi.Server) {
	lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
}

// watchDependencies checks every dependency the process's /readyz reports
// on every few seconds, for chat_dependency_up (alerts read it; /readyz is
// for orchestrators).
func watchDependencies(lc fx.Lifecycle, checks []httpapi.Check, m *metrics.Metrics) {
	every(lc, 5*time.Second, func(ctx context.Context) {
		for _, c := range checks {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			up := 1.0
			if c.Ping(cctx) != nil {
				up = 0
			}
			cancel()
			m.DependencyUp.WithLabelValues(c.Name).Set(up)
		}
	})
}
