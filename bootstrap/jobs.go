package bootstrap

import (
	"context"
	"time"

	"github.com/redis/rueidis"
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
		fx.Provide(func(jobs ports.JobStore, purge ports.ApplicationPurge, index ports.IndexPurge, keys ports.KeyPurge, retention ports.RetentionStore,
			queue ports.EventQueue, clock ports.Clock, m *metrics.Metrics) *application.JobRunner {
			deps := application.JobDeps{Jobs: jobs, Purge: purge, Index: index, Keys: keys, Retention: retention, Queue: queue, Clock: clock}
			return application.NewJobRunner(deps, application.JobConfig{Batch: c.Batch, Pause: c.Pause, Lease: c.Lease, Sweep: c.Sweep},
				func(kind domain.JobKind, n int) { m.Jobs.Progress.WithLabelValues(string(kind)).Add(float64(n)) })
		}),
		fx.Invoke(func(lc fx.Lifecycle, r *application.JobRunner, jobs ports.JobStore, clock ports.Clock, m *metrics.Metrics, log *zap.Logger) {
			every(lc, max(c.Poll, 100*time.Millisecond), func(ctx context.Context) {
				countJobs(ctx, jobs, clock, m)
				if err := r.EnsureSweep(ctx); err != nil {
					log.Warn("retention sweep", zap.Error(err))
					return
				}
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

// workerRedis is the worker's jobs' Redis, through a client of their own
// (the worker has no sequencer's): applications' keys are removed there,
// and the retention sweep's deletions numbered and appended to the
// streams as the api does a DELETE's.
func workerRedis(redisCfg RedisConfig, seqCfg SequencerConfig, streamCfg StreamConfig) fx.Option {
	return fx.Module("jobs-redis",
		fx.Provide(fx.Private, func(startup StartupConfig, lc fx.Lifecycle) rueidis.Client {
			return startRedis(lc, startup, redisadapter.NewClient(redisCfg.Addr))
		}),
		fx.Provide(func(client rueidis.Client) ports.KeyPurge { return redisadapter.NewKeyPurge(client) }),
		fx.Provide(func(client rueidis.Client, fences ports.SequenceFences) ports.EventQueue {
			return redisadapter.NewSequencer(client, fences, redisadapter.Config{
				Topics: streamCfg.Topics(), MaxLen: streamCfg.MaxLen, Lease: seqCfg.Lease, HistoryCheck: seqCfg.HistoryCheck})
		}),
	)
}
