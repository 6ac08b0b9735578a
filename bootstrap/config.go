// Package bootstrap loads the configuration and wires the api, worker and
// embedded graphs with fx. It is the only package besides cmd that imports fx.
package bootstrap

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/domain"
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
	// MaxBodyBytes limits a message body.
	MaxBodyBytes int
}

type MySQLConfig struct {
	DSN     string
	MaxOpen int
}

type RedisConfig struct {
	Addr string
	// SequenceLease: numbers a sequence hands out before it reserves more in
	// MySQL; after Redis lost a sequence, numbering resumes above its
	// reservation (see ports.SequenceFences).
	SequenceLease int64
}

type OpenSearchConfig struct {
	URL     string
	Index   string // the alias searches and writes go through
	Shards  int
	Refresh string // "wait_for" makes indexed messages searchable before the bulk returns
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

// LoadConfig reads the environment through getenv (os.Getenv in main, a map
// in tests) and reports every bad or missing setting at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	e := env{get: getenv}
	host, _ := os.Hostname()
	cfg := Config{
		Profile: e.str("CHAT_PROFILE", ProfileEmbedded),
		HTTP: httpapi.Config{
			Addr:            e.str("CHAT_HTTP_ADDR", ":8080"),
			AdminToken:      e.str("CHAT_ADMIN_TOKEN", ""),
			MaxRequestBytes: e.int("CHAT_MAX_REQUEST_BYTES", 1<<20),
			RateLimit:       e.int("CHAT_RATE_LIMIT", 0),
			AppLimits: httpapi.AppLimits{
				WriteRate: e.int("CHAT_APP_WRITE_RATE", 0), WriteBurst: e.int("CHAT_APP_WRITE_BURST", 0),
				ReadRate: e.int("CHAT_APP_READ_RATE", 0), ReadBurst: e.int("CHAT_APP_READ_BURST", 0),
			},
		},
		DataDir:        e.str("CHAT_DATA_DIR", "./data"),
		WorkerHTTPAddr: e.str("CHAT_WORKER_HTTP_ADDR", ":8081"),
		DebugAddr:      e.str("CHAT_DEBUG_ADDR", ""),
		MySQL:          MySQLConfig{DSN: e.str("CHAT_MYSQL_DSN", ""), MaxOpen: e.int("CHAT_MYSQL_MAX_OPEN", 64)},
		Redis:          RedisConfig{Addr: e.str("CHAT_REDIS_ADDR", ""), SequenceLease: int64(e.int("CHAT_SEQUENCE_LEASE", 1000))},
		OpenSearch: OpenSearchConfig{
			URL:          e.str("CHAT_OPENSEARCH_URL", ""),
			Index:        e.str("CHAT_OPENSEARCH_INDEX", "messages"),
			Shards:       e.int("CHAT_OPENSEARCH_SHARDS", 1),
			Refresh:      e.str("CHAT_OPENSEARCH_REFRESH", ""),
			IndexerGroup: e.str("CHAT_INDEXER_GROUP", "chat-indexers"),
			Timeout:      e.dur("CHAT_SEARCH_TIMEOUT", 3*time.Second),
			Analysis:     e.str("CHAT_SEARCH_ANALYSIS", "trigrams"),
			MaxBatch:     e.int("CHAT_INDEXER_MAX_BATCH", 1000),
			Linger:       e.dur("CHAT_INDEXER_LINGER", 20*time.Millisecond),
		},
		MaxBodyBytes: e.int("CHAT_MAX_BODY_BYTES", domain.DefaultMaxBodyBytes),
		Stream: StreamConfig{
			Topics:    stream.Topics{Prefix: e.str("CHAT_STREAM_PREFIX", "chat.events"), Partitions: e.int("CHAT_STREAM_PARTITIONS", 4)},
			TrimEvery: e.dur("CHAT_STREAM_TRIM_INTERVAL", 30*time.Second),
			Redis: stream.RedisConfig{
				ConsumerGroup: e.str("CHAT_CONSUMER_GROUP", "chat-workers"),
				ConsumerName:  e.str("CHAT_CONSUMER_NAME", fmt.Sprintf("%s-%d", host, os.Getpid())),
				ClaimIdle:     e.dur("CHAT_CLAIM_IDLE", 30*time.Second),
				ClaimInterval: e.dur("CHAT_CLAIM_INTERVAL", 5*time.Second),
				MaxLen:        int64(e.int("CHAT_STREAM_MAXLEN", 0)),
			},
		},
		Worker: WorkerConfig{
			Consumer: stream.ConsumerConfig{
				Concurrency:  e.int("CHAT_WORKER_CONCURRENCY", 512),
				MaxBatch:     e.int("CHAT_WORKER_MAX_BATCH", 256),
				Flushers:     e.int("CHAT_WORKER_FLUSHERS", 2),
				Linger:       e.dur("CHAT_WORKER_LINGER", 2*time.Millisecond),
				MaxAttempts:  e.int("CHAT_WORKER_MAX_ATTEMPTS", 5),
				RetryInitial: e.dur("CHAT_WORKER_RETRY_INITIAL", 100*time.Millisecond),
				RetryMax:     e.dur("CHAT_WORKER_RETRY_MAX", 10*time.Second),
				CloseTimeout: e.dur("CHAT_WORKER_CLOSE_TIMEOUT", 20*time.Second),
			},
			FlushEvery:      e.dur("CHAT_COUNTER_FLUSH_INTERVAL", time.Second),
			ReconcileEvery:  e.dur("CHAT_RECONCILE_INTERVAL", 10*time.Minute),
			BacklogEvery:    e.dur("CHAT_BACKLOG_INTERVAL", 5*time.Second),
			GroupCheckEvery: e.dur("CHAT_GROUP_CHECK_INTERVAL", 2*time.Second),
			Roles:           e.list("CHAT_WORKER_ROLES", "persist,index"),
		},
		ReadCache: ReadCacheConfig{MB: e.int("CHAT_READ_CACHE_MB", 64), TTL: e.dur("CHAT_READ_CACHE_TTL", time.Minute)},
		Log:       LogConfig{Level: e.str("CHAT_LOG_LEVEL", "info"), Format: e.str("CHAT_LOG_FORMAT", "json")},
		Startup:   StartupConfig{Attempts: e.int("CHAT_STARTUP_ATTEMPTS", 15), Every: e.dur("CHAT_STARTUP_RETRY", time.Second)},
	}
	switch cfg.Profile {
	case ProfileEmbedded:
	case ProfileProduction:
		e.require("CHAT_MYSQL_DSN", cfg.MySQL.DSN)
		e.require("CHAT_REDIS_ADDR", cfg.Redis.Addr)
		e.require("CHAT_OPENSEARCH_URL", cfg.OpenSearch.URL)
	default:
		e.fail("CHAT_PROFILE", "must be embedded or production, not %q", cfg.Profile)
	}
	if cfg.OpenSearch.URL != "" {
		if u, err := url.Parse(cfg.OpenSearch.URL); err != nil || u.Scheme == "" || u.Host == "" {
			e.fail("CHAT_OPENSEARCH_URL", "must be a URL such as http://localhost:9200")
		}
	}
	if a := cfg.OpenSearch.Analysis; a != "trigrams" && a != "grams" {
		e.fail("CHAT_SEARCH_ANALYSIS", "must be trigrams or grams, not %q", a)
	}
	if cfg.Log.Format != "json" && cfg.Log.Format != "console" {
		e.fail("CHAT_LOG_FORMAT", "must be json or console")
	}
	for _, r := range cfg.Worker.Roles {
		if r != "persist" && r != "index" {
			e.fail("CHAT_WORKER_ROLES", "must list persist and/or index, not %q", r)
		}
	}
	if len(cfg.Worker.Roles) == 0 {
		e.fail("CHAT_WORKER_ROLES", "must list persist and/or index")
	}
	if cfg.Redis.SequenceLease < 1 {
		e.fail("CHAT_SEQUENCE_LEASE", "must be at least 1")
	}
	if cfg.Stream.Topics.Partitions < 1 {
		e.fail("CHAT_STREAM_PARTITIONS", "must be at least 1")
	}
	if len(e.problems) > 0 {
		return cfg, errors.New("configuration: " + strings.Join(e.problems, "; "))
	}
	return cfg, nil
}

type env struct {
	get      func(string) string
	problems []string
}

func (e *env) fail(key, format string, args ...any) {
	e.problems = append(e.problems, key+" "+fmt.Sprintf(format, args...))
}

func (e *env) require(key, value string) {
	if value == "" {
		e.fail(key, "is required in the production profile")
	}
}

func (e *env) str(key, def string) string {
	if v := strings.TrimSpace(e.get(key)); v != "" {
		return v
	}
	return def
}

func (e *env) list(key, def string) []string {
	var out []string
	for _, v := range strings.Split(e.str(key, def), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (e *env) int(key string, def int) int {
	v := strings.TrimSpace(e.get(key))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		e.fail(key, "must be a non-negative integer, not %q", v)
		return def
	}
	return n
}

func (e *env) dur(key string, def time.Duration) time.Duration {
	v := strings.TrimSpace(e.get(key))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(key, "must be a positive duration such as 5s, not %q", v)
		return def
	}
	return d
}
