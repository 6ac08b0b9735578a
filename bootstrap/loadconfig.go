package bootstrap

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/internal/commalist"
)

// LoadConfig reads the environment through getenv (os.Getenv in main, a map
// in tests) and reports every bad or missing setting at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	e, problems := readEnvironment(getenv)
	fail := func(key, format string, args ...any) {
		problems = append(problems, key+" "+fmt.Sprintf(format, args...))
	}
	if e.ConsumerName == "" {
		host, _ := os.Hostname()
		e.ConsumerName = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	cfg := Config{
		Profile: e.Profile,
		HTTP: httpapi.Config{Addr: e.HTTPAddr, AdminToken: e.AdminToken, MaxRequestBytes: int(e.MaxRequestBytes), RateLimit: int(e.RateLimit),
			AppLimits: httpapi.AppLimits{WriteRate: int(e.AppWriteRate), WriteBurst: int(e.AppWriteBurst), ReadRate: int(e.AppReadRate), ReadBurst: int(e.AppReadBurst)},
			Heartbeat: e.LiveHeartbeat},
		DataDir:        e.DataDir,
		WorkerHTTPAddr: e.WorkerHTTPAddr,
		DebugAddr:      e.DebugAddr,
		MySQL:          MySQLConfig{DSN: e.MySQLDSN, ReplicaDSN: e.MySQLReplicaDSN, MaxOpen: int(e.MySQLMaxOpen), ApplyParts: int(e.ApplyParts)},
		Redis:          RedisConfig{Addr: e.RedisAddr, SequenceLease: int64(e.SequenceLease), HistoryCheck: e.HistoryCheck},
		OpenSearch: OpenSearchConfig{URL: e.OpenSearchURL, Index: e.OpenSearchIndex, Shards: int(e.Shards), Replicas: int(e.Replicas), Refresh: e.Refresh,
			IndexerGroup: e.IndexerGroup, Timeout: e.SearchTimeout, Analysis: e.Analysis, MaxBatch: int(e.IndexerMaxBatch), Linger: e.IndexerLinger},
		MaxBodyBytes: int(e.MaxBodyBytes),
		Stream: StreamConfig{
			Topics:    stream.Topics{Prefix: e.StreamPrefix, Partitions: int(e.Partitions)},
			TrimEvery: e.TrimEvery, LiveRetention: e.LiveRetention, MaxBacklog: int64(e.MaxBacklog),
			Redis: stream.RedisConfig{ConsumerGroup: e.ConsumerGroup, ConsumerName: e.ConsumerName, ClaimIdle: e.ClaimIdle,
				ClaimInterval: e.ClaimInterval, MaxLen: int64(e.StreamMaxLen)},
		},
		Worker: WorkerConfig{
			Consumer: stream.ConsumerConfig{Concurrency: int(e.Concurrency), MaxBatch: int(e.MaxBatch), Flushers: int(e.Flushers), Linger: e.Linger,
				MaxAttempts: int(e.MaxAttempts), RetryInitial: e.RetryInitial, RetryMax: e.RetryMax, CloseTimeout: e.CloseTimeout},
			FlushEvery: e.FlushEvery, ReconcileEvery: e.ReconcileEvery, BacklogEvery: e.BacklogEvery, GroupCheckEvery: e.GroupCheckEvery,
			Roles: commalist.Trim(e.WorkerRoles),
		},
		ReadCache: ReadCacheConfig{MB: int(e.ReadCacheMB), TTL: e.ReadCacheTTL},
		Live:      application.LiveConfig{MaxStreams: int(e.LiveMax), MaxPerApp: int(e.LiveMaxPerApp), Buffer: int(e.LiveBuffer)},
		Log:       LogConfig{Level: e.LogLevel, Format: e.LogFormat},
		Startup:   StartupConfig{Attempts: int(e.StartupAttempts), Every: e.StartupEvery},
	}
	switch cfg.Profile {
	case ProfileEmbedded:
	case ProfileProduction:
		for key, v := range map[string]string{"CHAT_MYSQL_DSN": e.MySQLDSN, "CHAT_REDIS_ADDR": e.RedisAddr, "CHAT_OPENSEARCH_URL": e.OpenSearchURL} {
			if v == "" {
				fail(key, "is required in the production profile")
			}
		}
	default:
		fail("CHAT_PROFILE", "must be embedded or production, not %q", cfg.Profile)
	}
	if cfg.OpenSearch.URL != "" {
		for _, node := range strings.Split(cfg.OpenSearch.URL, ",") {
			if u, err := url.Parse(strings.TrimSpace(node)); err != nil || u.Scheme == "" || u.Host == "" {
				fail("CHAT_OPENSEARCH_URL", "must be a URL such as http://localhost:9200, or several comma-separated, not %q", node)
				break
			}
		}
	}
	if a := cfg.OpenSearch.Analysis; a != "trigrams" && a != "grams" {
		fail("CHAT_SEARCH_ANALYSIS", "must be trigrams or grams, not %q", a)
	}
	if cfg.Log.Format != "json" && cfg.Log.Format != "console" {
		fail("CHAT_LOG_FORMAT", "must be json or console")
	}
	for _, r := range cfg.Worker.Roles {
		if r != "persist" && r != "index" {
			fail("CHAT_WORKER_ROLES", "must list persist and/or index, not %q", r)
		}
	}
	if len(cfg.Worker.Roles) == 0 {
		fail("CHAT_WORKER_ROLES", "must list persist and/or index")
	}
	if cfg.Redis.SequenceLease < 1 {
		fail("CHAT_SEQUENCE_LEASE", "must be at least 1")
	}
	if cfg.MySQL.ApplyParts < 1 {
		fail("CHAT_WORKER_TRANSACTIONS", "must be at least 1")
	}
	if cfg.Stream.Topics.Partitions < 1 {
		fail("CHAT_STREAM_PARTITIONS", "must be at least 1")
	}
	if !stream.ValidPrefix(cfg.Stream.Topics.Prefix) {
		fail("CHAT_STREAM_PREFIX", "must be a name without braces (the partitions are Redis Cluster hash tags), not %q", cfg.Stream.Topics.Prefix)
	}
	if strings.Contains(cfg.Redis.Addr, ",") && len(commalist.Split(cfg.Redis.Addr)) != len(strings.Split(cfg.Redis.Addr, ",")) {
		fail("CHAT_REDIS_ADDR", "a Redis Cluster's seed nodes are host:port, comma-separated, none empty: %q", cfg.Redis.Addr)
	}
	if len(problems) > 0 {
		return cfg, errors.New("configuration: " + strings.Join(problems, "; "))
	}
	return cfg, nil
}
