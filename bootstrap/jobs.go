package bootstrap

import (
	"context"
	"time"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// The data lifecycle jobs' runner: it looks for due jobs every
// CHAT_JOB_POLL_INTERVAL and runs them in bounded, paced batches, and
// counts the open jobs for the metrics. Several runners share the jobs
// (each held under a lease).
func jobsModule(c JobsConfig) fx.Option {
	return fx.Module("jobs",
		fx.Provide(func(jobs ports.JobStore, purge ports.ApplicationPurge, index ports.IndexPurge, keys ports.KeyPurge, clock ports.Clock, m *metrics.Metrics) *application.JobRunner {
			return application.NewJobRunner(jobs, purge, index, keys, clock, application.JobConfig{Batch: c.Batch, Pause: c.Pause, Lease: c.Lease},
				func(kind domain.JobKind, n int) { m.Jobs.Progress.WithLabelValues(string(kind)).Add(float64(n)) })
		}),
		fx.Invoke(func(lc fx.Lifecycle, r *application.JobRunner, jobs ports.JobStore, clock ports.Clock, m *metrics.Metrics, log *zap.Logger) {
			every(lc, max(c.Poll, 100*time.Millisecond), func(ctx context.Context) {
				countJobs(ctx, jobs, clock, m)
				if err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
					log.Warn("data lifecycle job", zap.Error(err))
				}
			})
		}),
	)
}

// countJobs sets the open jobs' gauges from the store.
func countJobs(ctx context.Context, jobs ports.JobStore, clock ports.Clock, m *metrics.Metrics) {
	counts, stalest, err := jobs.JobCounts(ctx)
	if err != nil {
		return
	}
	m.Jobs.Open.Reset()
	for kind, states := range counts {
		for state, n := range states {
			m.Jobs.Open.WithLabelValues(string(kind), string(state)).Set(float64(n))
		}
	}
	stalled := 0.0
	if !stalest.IsZero() {
		stalled = max(clock.Now().Sub(stalest), 0).Seconds()
	}
	m.Jobs.Stalled.Set(stalled)
}

// redisKeyPurge removes applications' keys from Redis, through a client
// of its own (the worker has no sequencer's).
func redisKeyPurge(redisCfg RedisConfig) fx.Option {
	return fx.Provide(func(startup StartupConfig, lc fx.Lifecycle) ports.KeyPurge {
		return redisadapter.NewKeyPurge(startRedis(lc, startup, redisadapter.NewClient(redisCfg.Addr)))
	})
}
