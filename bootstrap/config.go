// Package bootstrap loads the configuration and wires the api, worker and
// embedded graphs with fx. It is the only package besides cmd that imports fx.
package bootstrap

import (
	"slices"
	"time"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
)

// Profiles.
const (
	ProfileEmbedded   = "embedded"
	ProfileProduction = "production"
)

// Config is every setting, loaded and validated once at start.
type Config struct {
	Profile string
	HTTP    httpapi.Config
	DataDir string
	// WorkerHTTPAddr is where a worker serves its health and metrics.
	WorkerHTTPAddr string
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) there: an
	// operator's port, for the api (the worker's ops port has it already).
	DebugAddr  string
	MySQL      MySQLConfig
	Redis      RedisConfig
	OpenSearch OpenSearchConfig
	Stream     StreamConfig
	Worker     WorkerConfig
	Log        LogConfig
	Startup    StartupConfig
	ReadCache  ReadCacheConfig
	Live       application.LiveConfig
	// MaxBodyBytes limits a message body.
	MaxBodyBytes int
}

type MySQLConfig struct {
	DSN string
	// ReplicaDSN, if set, serves the api's reads of chats and messages
	// (entstore.Store.WithReplica).
	ReplicaDSN string
	MaxOpen    int
	// ApplyParts: how many transactions the worker applies one batch in,
	// at once (entstore.Store.WithApplyParts).
	ApplyParts int
}

type RedisConfig struct {
	Addr string
	// SequenceLease: numbers a sequence hands out before it reserves more in
	// MySQL; after Redis lost a sequence, numbering resumes above its
	// reservation (see ports.SequenceFences).
	SequenceLease int64
	// HistoryCheck: re-seed the sequences written before Redis restarted or
	// failed over (redisadapter.Config.HistoryCheck).
	HistoryCheck bool
}

type OpenSearchConfig struct {
	URL      string
	Index    string // the alias searches and writes go through
	Shards   int
	Replicas int
	Refresh  string // "wait_for" makes indexed messages searchable before the bulk returns
	// IndexerGroup is the consumer group that indexes events, apart from the
	// one that persists them, so that an index outage delays only search.
	IndexerGroup string
	// Timeout abandons a search (fallback included) that takes longer; 503.
	Timeout time.Duration
	// Analysis of a new index: "trigrams" or "grams" (adapters/opensearch/analysis.go).
	Analysis string
	// MaxBatch and Linger shape the indexer's bulk requests: OpenSearch
	// does far less work per document in large bulks, and search may lag
	// by a second anyway (the refresh interval).
	MaxBatch int
	Linger   time.Duration
}

// ReadCacheConfig: the api's cache of chats, messages and pages
// (application.CachedReads); MB 0 turns it off.
type ReadCacheConfig struct {
	MB  int
	TTL time.Duration
}

type StreamConfig struct {
	Topics stream.Topics
	Redis  stream.RedisConfig
	// TrimEvery: how often a worker removes events every group acknowledged.
	TrimEvery time.Duration
	// LiveRetention: events younger than this stay in the streams, however
	// acknowledged, for live streams to resume from.
	LiveRetention time.Duration
	// MaxBacklog: the api refuses writes (503 overloaded) to a partition
	// holding more events than this that a consumer group has not
	// acknowledged; read every WorkerConfig.BacklogEvery. 0: never.
	MaxBacklog int64
}

type WorkerConfig struct {
	Consumer       stream.ConsumerConfig
	FlushEvery     time.Duration
	ReconcileEvery time.Duration
	BacklogEvery   time.Duration
	// GroupCheckEvery: how often a worker checks that its consumer groups exist.
	GroupCheckEvery time.Duration
	// Roles: what a worker process does, "persist" and/or "index".
	Roles []string
}

// Persists says whether the worker persists events (and keeps the counters).
func (w WorkerConfig) Persists() bool { return slices.Contains(w.Roles, "persist") }

// Indexes says whether the worker indexes events for search.
func (w WorkerConfig) Indexes() bool { return slices.Contains(w.Roles, "index") }

type LogConfig struct {
	Level  string
	Format string // json or console
}

// StartupConfig bounds how long a process waits for its dependencies at start.
type StartupConfig struct {
	Attempts int
	Every    time.Duration
}
