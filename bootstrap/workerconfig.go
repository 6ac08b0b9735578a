package bootstrap

import (
	"slices"
	"time"
)

// ConsumerConfig is how a worker consumes the streams, in both its groups.
type ConsumerConfig struct {
	Name          string        `env:"CHAT_CONSUMER_NAME" help:"this worker's name in its consumer groups (unset: host-pid)"`
	ClaimIdle     time.Duration `env:"CHAT_CLAIM_IDLE" envDefault:"30s" help:"a dead worker's unacknowledged events are claimed by another after this"`
	ClaimInterval time.Duration `env:"CHAT_CLAIM_INTERVAL" envDefault:"5s" help:"how often a worker looks for a dead worker's events"`
	Concurrency   int           `env:"CHAT_WORKER_CONCURRENCY" envDefault:"512" help:"events in hand per partition per consumer group per worker"`
	MaxBatch      int           `env:"CHAT_WORKER_MAX_BATCH" envDefault:"256" help:"events applied in one batch at most"`
	Flushers      int           `env:"CHAT_WORKER_FLUSHERS" envDefault:"2" help:"batches applied at once"`
	Linger        time.Duration `env:"CHAT_WORKER_LINGER" envDefault:"2ms" help:"how long a batch waits to fill"`
	MaxAttempts   int           `env:"CHAT_WORKER_MAX_ATTEMPTS" envDefault:"5" help:"tries of an event that can never succeed before it is dead-lettered"`
	RetryInitial  time.Duration `env:"CHAT_WORKER_RETRY_INITIAL" envDefault:"100ms" help:"a failed batch's first retry delay"`
	RetryMax      time.Duration `env:"CHAT_WORKER_RETRY_MAX" envDefault:"10s" help:"the longest retry delay of a failed batch (it doubles up to this)"`
	CloseTimeout  time.Duration `env:"CHAT_WORKER_CLOSE_TIMEOUT" envDefault:"20s" help:"how long a stopping worker finishes what it holds"`
}

// IndexerConfig shapes the indexer's bulk requests: OpenSearch does far
// less work per document in large bulks, and search may lag by a second
// anyway (the refresh interval).
type IndexerConfig struct {
	MaxBatch int           `env:"CHAT_INDEXER_MAX_BATCH" envDefault:"1000" help:"the largest bulk request the indexer sends"`
	Linger   time.Duration `env:"CHAT_INDEXER_LINGER" envDefault:"20ms" help:"how long the indexer waits to fill a bulk request"`
}

// CountersConfig is the counters' loop (the worker's, or the embedded api's).
type CountersConfig struct {
	FlushEvery     time.Duration `env:"CHAT_COUNTER_FLUSH_INTERVAL" envDefault:"1s" help:"how often touched counters are recomputed"`
	ReconcileEvery time.Duration `env:"CHAT_RECONCILE_INTERVAL" envDefault:"10m" help:"how often every counter is checked against its rows"`
}

type WorkerConfig struct {
	// HTTPAddr is where a worker serves its health and metrics.
	HTTPAddr string `env:"CHAT_WORKER_HTTP_ADDR" envDefault:":8081" check:"hostport" help:"where a worker serves /healthz, /readyz, /metrics"`
	// GroupCheckEvery: how often a worker checks that its consumer groups exist.
	GroupCheckEvery time.Duration `env:"CHAT_GROUP_CHECK_INTERVAL" envDefault:"2s" help:"how often a worker checks that its consumer groups exist (and recreates them)"`
	// Roles: what a worker process does: "persist", "index", "webhooks".
	Roles []string `env:"CHAT_WORKER_ROLES" envDefault:"persist,index,webhooks" oneof:"persist index webhooks" help:"what a worker process does: persist (MySQL and the counters), index (search), webhooks (deliveries), any of them"`
}

// Delivers says whether the worker writes and sends webhook deliveries.
func (w WorkerConfig) Delivers() bool { return slices.Contains(w.Roles, "webhooks") }

// Persists says whether the worker persists events (and keeps the counters).
func (w WorkerConfig) Persists() bool { return slices.Contains(w.Roles, "persist") }

// Indexes says whether the worker indexes events for search.
func (w WorkerConfig) Indexes() bool { return slices.Contains(w.Roles, "index") }
