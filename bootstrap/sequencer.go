package bootstrap

import (
	"context"
	"math"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/metrics"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/adapters/streamlog"
	"github.com/chatsvc/chat/application/decorator"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Redis (rueidis): the production number sequences, which are the api's
// event queue (one script numbers an event and appends it), with the
// idempotency claims, the per-application rate limits and write admission.
func sequencerModule(redisCfg RedisConfig, seqCfg SequencerConfig, streamCfg StreamConfig) fx.Option {
	return fx.Module("sequencer",
		fx.Supply(fx.Private, streamCfg),
		fx.Provide(func(startup StartupConfig, lc fx.Lifecycle) rueidis.Client {
			return startRedis(lc, startup, redisadapter.NewClient(redisCfg.Addr))
		}),
		fx.Provide(func(client rueidis.Client, fences ports.SequenceFences) *redisadapter.Sequencer {
			return redisadapter.NewSequencer(client, fences, redisadapter.Config{
				Topics: streamCfg.Topics(), MaxLen: streamCfg.MaxLen, Lease: seqCfg.Lease, HistoryCheck: seqCfg.HistoryCheck})
		}),
		fx.Provide(func(s *redisadapter.Sequencer) ports.Sequencer { return s }),
		fx.Provide(func(client rueidis.Client) ports.IdempotencyClaims { return redisadapter.NewClaims(client) }),
		// Shared by every api instance.
		fx.Provide(func(client rueidis.Client) ports.RateLimiter { return redisadapter.NewLimiter(client) }),
		// Writes are refused while their partition's queue is too long (CHAT_MAX_BACKLOG).
		fx.Provide(func(client goredis.UniversalClient) *streamlog.BacklogGate {
			return streamlog.NewBacklogGate(client, streamCfg.Topics(), streamCfg.Groups(), streamCfg.MaxBacklog)
		}),
		fx.Invoke(watchWriteBacklog),
		// While Redis cannot be reached, writes are numbered and persisted in
		// MySQL (the degraded path), and relayed to the streams once it is back.
		fx.Provide(func(store *entstore.Store) *entstore.OutboxQueue {
			return entstore.NewOutboxQueue(store, seqCfg.Lease, streamCfg.Topics().OutboxEntry)
		}),
		// Only what Redis numbered is recorded in the tallies at once (they are
		// in Redis too): the degraded path's writes are, once persisted.
		fx.Provide(func(seq *redisadapter.Sequencer, gate *streamlog.BacklogGate, degraded *entstore.OutboxQueue, tally ports.ChatTally, m *metrics.Metrics, log *zap.Logger) *decorator.Fallback {
			return decorator.NewFallback(tallyAppends(decorator.AdmitWrites(seq, gate), tally, log), degraded, "redis", func(on bool) {
				if on {
					m.WritesDegraded.Set(1)
					log.Warn("Redis cannot be reached: writes go through MySQL (degraded) until it is back")
					return
				}
				m.WritesDegraded.Set(0)
				log.Info("Redis is back: writes go through Redis again")
			})
		}),
		fx.Provide(func(f *decorator.Fallback, m *metrics.Metrics) ports.EventQueue { return countAppends(f, streamCfg, m) }),
		fx.Provide(func(seq *redisadapter.Sequencer, store *entstore.Store) *redisadapter.Relay {
			return redisadapter.NewRelay(seq, store, relayBatch)
		}),
		fx.Invoke(func(lc fx.Lifecycle, f *decorator.Fallback, q *entstore.OutboxQueue, relay *redisadapter.Relay, r rueidis.Client, m *metrics.Metrics, log *zap.Logger) {
			every(lc, seqCfg.RelayEvery, func(ctx context.Context) { relayOutbox(ctx, f, q, relay, r, m, log) })
		}),
		readiness(func(r rueidis.Client) httpapi.Check {
			return httpapi.Check{Name: "redis", Ping: func(ctx context.Context) error { return redisadapter.Ping(ctx, r) }, Degrades: true}
		}),
	)
}

// relayBatch: outbox entries relayed in one script, and dropped in one statement.
const relayBatch = 500

// relayOutbox relays what the degraded path kept (this instance's and any
// other's) to the streams; while this instance writes through MySQL, it
// first looks whether Redis answers, and goes back to it once everything it
// kept is relayed: its writes wait for that last pass, which relays up to
// its own last write (bounded here).
func relayOutbox(ctx context.Context, f *decorator.Fallback, q *entstore.OutboxQueue, relay *redisadapter.Relay, r rueidis.Client, m *metrics.Metrics, log *zap.Logger) {
	pass := func(ctx context.Context, upTo int64) error {
		n, err := relay.PassUpTo(ctx, upTo)
		m.OutboxRelayed.Add(float64(n))
		return err
	}
	if !f.Degraded() {
		if err := pass(ctx, math.MaxInt64); err != nil && ctx.Err() == nil {
			log.Debug("outbox relay", zap.Error(err))
		}
		return
	}
	bounded, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	probe := func(ctx context.Context) error {
		if err := redisadapter.Ping(ctx, r); err != nil {
			return err
		}
		return pass(ctx, q.LastID()) // most of what it kept, while writes go on
	}
	drain := func(ctx context.Context) error { return pass(ctx, q.LastID()) }
	if err := f.Recover(bounded, probe, drain); err != nil && ctx.Err() == nil {
		log.Debug("still writing through MySQL", zap.Error(err))
	}
}

// startRedis connects a rueidis client at start, so that building the graph
// does no I/O.
func startRedis(lc fx.Lifecycle, startup StartupConfig, c *redisadapter.Client) rueidis.Client {
	dependency(lc, startup, "Redis (CHAT_REDIS_ADDR)", c.Start, c.Stop)
	return c
}

// countAppends counts the events a queue appends, by partition, and the
// appends it refuses.
func countAppends(q ports.EventQueue, streamCfg StreamConfig, m *metrics.Metrics) ports.EventQueue {
	topics := streamCfg.Topics()
	return decorator.CountAppends(q, decorator.QueueHooks{
		Appended: func(token domain.Token) { m.EventsPublished.WithLabelValues(topics.For(token)).Inc() },
		Refused:  m.WritesRefused.Inc,
	})
}

// watchWriteBacklog refreshes the api's write admission.
func watchWriteBacklog(lc fx.Lifecycle, streamCfg StreamConfig, gate *streamlog.BacklogGate, m *metrics.Metrics, log *zap.Logger) {
	if streamCfg.MaxBacklog <= 0 {
		return
	}
	every(lc, streamCfg.BacklogEvery, func(ctx context.Context) {
		backlog, err := gate.Refresh(ctx)
		if err != nil {
			log.Debug("stream backlog", zap.Error(err))
			return
		}
		for topic, n := range backlog {
			m.WriteBacklog.WithLabelValues(topic).Set(float64(n))
			if gate.Over(n) {
				log.Warn("refusing writes: the queue is over CHAT_MAX_BACKLOG", zap.String("partition", topic), zap.Int64("backlog", n), zap.Int64("max", streamCfg.MaxBacklog))
			}
		}
	})
}
