package bootstrap

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/usertoken"
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
			func(store ports.ApplicationStore, seq ports.Sequencer, clock ports.Clock, claims ports.IdempotencyClaims, access ports.ApplicationAccess) *application.Applications {
				return application.NewApplications(store, seq, clock, claims, access, usertoken.New(clock.Now), api.SecretGrace)
			},
			application.NewMembers,
			application.NewReads,
			func(jobs ports.JobStore, access ports.ApplicationAccess, chats ports.ChatReader, retention ports.RetentionStore, clock ports.Clock) *application.Lifecycle {
				return application.NewLifecycle(jobs, access, chats, retention, clock, api.DeleteSettle)
			},
			application.NewChats,
			func(q ports.EventQueue, r ports.MessageReader, log ports.LiveLog, clock ports.Clock) *application.Messages {
				return application.NewMessages(q, r, log, clock, api.MaxBodyBytes)
			},
			func(chats ports.ChatReader, index ports.SearchIndex, fallback ports.SearchFallback, m *metrics.Metrics, log *zap.Logger) *application.Search {
				return application.NewSearch(chats, index, fallback, func(err error) {
					m.SearchDegraded.Inc()
					log.Warn("search index unavailable; answering from the database", zap.Error(err))
				}, api.SearchTimeout)
			},
		),
		fx.Provide(newServer),
		serving,
	)
}

// serverIn is what the api's server is made of.
type serverIn struct {
	fx.In
	API          APIConfig
	Applications *application.Applications
	Chats        *application.Chats
	Messages     *application.Messages
	Search       *application.Search
	Live         *application.Live
	Members      *application.Members
	Reads        *application.Reads
	Webhooks     *application.Webhooks
	Feed         *application.Feed
	Lifecycle    *application.Lifecycle
	Limiter      ports.RateLimiter
	Checks       []httpapi.Check `group:"readiness"`
	Metrics      *metrics.Metrics
	Log          *zap.Logger
	Tracing      trace.TracerProvider
}

func newServer(in serverIn) *httpapi.Server {
	api := in.API
	uc := httpapi.UseCases{Applications: in.Applications, Chats: in.Chats, Messages: in.Messages, Search: in.Search, Live: in.Live, Members: in.Members, Reads: in.Reads, Webhooks: in.Webhooks, Feed: in.Feed, Lifecycle: in.Lifecycle, Limiter: in.Limiter}
	cfg := httpapi.Config{Addr: api.Addr, AdminToken: api.AdminToken, MaxRequestBytes: api.MaxRequestBytes, RateLimit: api.RateLimit,
		AppLimits: httpapi.AppLimits{WriteRate: api.AppWriteRate, WriteBurst: api.AppWriteBurst, ReadRate: api.AppReadRate, ReadBurst: api.AppReadBurst,
			UserWriteRate: api.UserWriteRate, UserWriteBurst: api.UserWriteBurst, UserReadRate: api.UserReadRate, UserReadBurst: api.UserReadBurst,
			TypingRate: api.TypingRate, TypingBurst: api.TypingBurst},
		Heartbeat: api.Heartbeat, TrustedProxies: commalist.Split(api.TrustedProxies)}
	return httpapi.NewServer(cfg, uc, byName(in.Checks), in.Metrics, in.Log, tracer(in.Tracing, "github.com/chatsvc/chat/adapters/httpapi"))
}

// The worker's operations server: /healthz, /readyz and /metrics on CHAT_WORKER_HTTP_ADDR.
func opsModule(w WorkerConfig) fx.Option {
	return fx.Module("ops",
		fx.Provide(fx.Annotate(func(checks []httpapi.Check, m *metrics.Metrics, log *zap.Logger) *httpapi.Server {
			return httpapi.NewOpsServer(httpapi.Config{Addr: w.HTTPAddr}, byName(checks), m, log)
		}, fx.ParamTags(`group:"readiness"`))),
		serving,
	)
}

// readiness contributes a module's dependency check to /readyz and to
// chat_dependency_up.
func readiness(check any) fx.Option {
	return fx.Provide(fx.Annotate(check, fx.ResultTags(`group:"readiness"`)))
}

// byName orders the checks (a value group's order is not its modules').
func byName(checks []httpapi.Check) []httpapi.Check {
	checks = slices.Clone(checks)
	slices.SortFunc(checks, func(a, b httpapi.Check) int { return strings.Compare(a.Name, b.Name) })
	return checks
}

// serving starts the server last and stops it first, so that in-flight
// requests finish while everything they need is still there (the server
// needs every other module, so its hook is appended after theirs); and it
// checks every dependency /readyz reports on every few seconds, for
// chat_dependency_up (alerts read it; /readyz is for orchestrators).
var serving = fx.Invoke(
	fx.Annotate(func(lc fx.Lifecycle, checks []httpapi.Check, m *metrics.Metrics) {
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
	}, fx.ParamTags(``, `group:"readiness"`)),
	func(lc fx.Lifecycle, s *httpapi.Server) { lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop}) },
)
