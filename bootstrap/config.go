// Package bootstrap loads the configuration and wires the api, worker and
// embedded graphs with fx. It is the only package besides cmd that imports fx.
package bootstrap

import (
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/chatsvc/chat/adapters/eventwire"
)

// Profiles.
const (
	ProfileEmbedded   = "embedded"
	ProfileProduction = "production"
)

// Config is every setting, each declared once: its variable, default and
// meaning in its tags (the README's table; `help` is what -h prints), and
// what it accepts beyond its type's syntax in `oneof`, `check` and
// `production` (settings.go reads them). Each module is given its part.
type Config struct {
	Profile    string `env:"CHAT_PROFILE" envDefault:"embedded" oneof:"embedded production" help:"embedded (one process, nothing installed) or production"`
	Log        LogConfig
	Startup    StartupConfig
	Debug      DebugConfig
	API        APIConfig
	Live       LiveConfig
	ReadCache  ReadCacheConfig
	SQLite     SQLiteConfig
	MySQL      MySQLConfig
	Redis      RedisConfig
	Sequencer  SequencerConfig
	OpenSearch OpenSearchConfig
	Stream     StreamConfig
	Consumer   ConsumerConfig
	Indexer    IndexerConfig
	Counters   CountersConfig
	Worker     WorkerConfig
	Webhook    WebhookConfig
	Jobs       JobsConfig
}

// JobsConfig is the data lifecycle jobs' runner (application.JobRunner):
// the workers' with the persist role, or the embedded process's.
type JobsConfig struct {
	Batch int           `env:"CHAT_JOB_BATCH" envDefault:"500" check:"atleast1" help:"rows, index documents or keys a data lifecycle job (an application's deletion) removes in one batch"`
	Pause time.Duration `env:"CHAT_JOB_PAUSE" envDefault:"50ms" help:"a data lifecycle job's pause after each batch: the share of the database it leaves the write path"`
	Poll  time.Duration `env:"CHAT_JOB_POLL_INTERVAL" envDefault:"5s" help:"how often a runner looks for due data lifecycle jobs"`
	Lease time.Duration `env:"CHAT_JOB_LEASE" envDefault:"1m" help:"a data lifecycle job whose runner recorded no batch for this long (it stopped) is taken up by another, or by it after a restart"`
	Sweep time.Duration `env:"CHAT_RETENTION_SWEEP_INTERVAL" envDefault:"10m" help:"how often the retention sweep deletes the messages older than their retention (a message goes within this and the sweep's own time of expiring)"`
}

// WebhookConfig is the webhooks': registration (the api) and delivery (the
// workers' webhooks role, or the embedded api).
type WebhookConfig struct {
	AllowPrivate bool          `env:"CHAT_WEBHOOK_ALLOW_PRIVATE" envDefault:"false" help:"let webhook endpoints be on loopback, private, link-local or reserved addresses (tests, private networks)"`
	Timeout      time.Duration `env:"CHAT_WEBHOOK_TIMEOUT" envDefault:"10s" help:"how long a webhook receiver has to answer a delivery"`
	FirstRetry   time.Duration `env:"CHAT_WEBHOOK_FIRST_RETRY" envDefault:"5s" help:"a failed delivery's first retry delay (it doubles, with jitter, up to 4 h)"`
	RetryFor     time.Duration `env:"CHAT_WEBHOOK_RETRY_FOR" envDefault:"25h" help:"how long a delivery is retried before it is recorded as failed"`
	Poll         time.Duration `env:"CHAT_WEBHOOK_POLL_INTERVAL" envDefault:"200ms" help:"how often an idle delivery loop looks for due deliveries (retries, and in production what the intake wrote)"`
	DisableAfter time.Duration `env:"CHAT_WEBHOOK_DISABLE_AFTER" envDefault:"120h" help:"an endpoint to which nothing was delivered for this long is disabled (with a webhook.disabled record in its log) when one more delivery is given up; a replay enables it (0: never)"`
	// FeedRetention: the feed's events and the finished deliveries' log
	// are kept this long (at least RetryFor and DisableAfter: see keep).
	FeedRetention time.Duration `env:"CHAT_FEED_RETENTION" envDefault:"168h" help:"how long the pull feed's events and the finished (delivered or given up) webhook deliveries are kept: a feed reader resumes, and a replay sends again, within it; never shorter than CHAT_WEBHOOK_RETRY_FOR and CHAT_WEBHOOK_DISABLE_AFTER (raised to them)"`
}

type LogConfig struct {
	Level  zapcore.Level `env:"CHAT_LOG_LEVEL" envDefault:"info" accepts:"debug, info, warn, error, dpanic, panic or fatal" help:"zap level"`
	Format string        `env:"CHAT_LOG_FORMAT" envDefault:"json" oneof:"json console" help:"json or console"`
}

// StartupConfig bounds how long a process waits for its dependencies at start.
type StartupConfig struct {
	Attempts int           `env:"CHAT_STARTUP_ATTEMPTS" envDefault:"15" help:"how many times a process tries its dependencies at start"`
	Every    time.Duration `env:"CHAT_STARTUP_RETRY" envDefault:"1s" help:"how often a process tries its dependencies at start"`
}

type DebugConfig struct {
	Addr string `env:"CHAT_DEBUG_ADDR" check:"hostport" help:"when set, Go's profiler (/debug/pprof/) is served there (an operator's address)"`
}

// APIConfig is the api's HTTP server and use cases.
type APIConfig struct {
	Addr            string        `env:"CHAT_HTTP_ADDR" envDefault:":8080" check:"hostport" help:"where the api listens"`
	AdminToken      string        `env:"CHAT_ADMIN_TOKEN" help:"bearer token for GET /api/v1/chat_applications (unset: that endpoint answers 403)"`
	MaxRequestBytes int           `env:"CHAT_MAX_REQUEST_BYTES" envDefault:"1048576" help:"request body limit"`
	MaxBodyBytes    int           `env:"CHAT_MAX_BODY_BYTES" envDefault:"65536" help:"message body limit"`
	RateLimit       int           `env:"CHAT_RATE_LIMIT" envDefault:"0" help:"requests per second per client address, 429 beyond (0: off)"`
	TrustedProxies  string        `env:"CHAT_TRUSTED_PROXIES" check:"cidrs" help:"addresses (IPs or CIDRs, comma-separated) of proxies whose X-Real-IP names the client, for CHAT_RATE_LIMIT"`
	AppWriteRate    int           `env:"CHAT_APP_WRITE_RATE" envDefault:"0" help:"creates and edits per second per application, every api instance together (0: off)"`
	AppWriteBurst   int           `env:"CHAT_APP_WRITE_BURST" envDefault:"0" help:"the burst of creates and edits an application is allowed"`
	AppReadRate     int           `env:"CHAT_APP_READ_RATE" envDefault:"0" help:"reads and searches per second per application (0: off)"`
	AppReadBurst    int           `env:"CHAT_APP_READ_BURST" envDefault:"0" help:"the burst of reads and searches an application is allowed"`
	UserWriteRate   int           `env:"CHAT_USER_WRITE_RATE" envDefault:"0" help:"creates and edits per second per user of an application (a user token), besides the application's budget (0: off)"`
	UserWriteBurst  int           `env:"CHAT_USER_WRITE_BURST" envDefault:"0" help:"the burst of creates and edits a user is allowed"`
	UserReadRate    int           `env:"CHAT_USER_READ_RATE" envDefault:"0" help:"reads and searches per second per user of an application (0: off)"`
	UserReadBurst   int           `env:"CHAT_USER_READ_BURST" envDefault:"0" help:"the burst of reads and searches a user is allowed"`
	TypingRate      int           `env:"CHAT_USER_TYPING_RATE" envDefault:"1" help:"typing notices (POST …/chats/{n}/typing) per second per user, every api instance together; 429 beyond (0: off)"`
	TypingBurst     int           `env:"CHAT_USER_TYPING_BURST" envDefault:"3" help:"the burst of typing notices a user is allowed"`
	Heartbeat       time.Duration `env:"CHAT_LIVE_HEARTBEAT" envDefault:"15s" help:"how often an idle live stream sends a comment line, so that proxies keep it open"`
	SearchTimeout   time.Duration `env:"CHAT_SEARCH_TIMEOUT" envDefault:"3s" help:"a search (index or fallback) not finished by then answers 503"`
	SecretGrace     time.Duration `env:"CHAT_SECRET_GRACE" envDefault:"24h" help:"how long an application's previous secret keeps working after a rotation (DELETE …/secrets/previous ends it at once)"`
	DeleteSettle    time.Duration `env:"CHAT_DELETE_SETTLE" envDefault:"30s" help:"how long after an application's deletion (refused at once) the removal of its data starts: writes acknowledged just before are persisted and indexed first, and removed with the rest"`
}

// LiveConfig is an api instance's live streams (application.Live).
type LiveConfig struct {
	MaxStreams int `env:"CHAT_LIVE_MAX_STREAMS" envDefault:"10000" help:"live streams an api instance serves at once (429 too_many_streams beyond)"`
	MaxPerApp  int `env:"CHAT_LIVE_MAX_STREAMS_PER_APP" envDefault:"100" help:"live streams of one application an api instance serves at once"`
	Buffer     int `env:"CHAT_LIVE_BUFFER" envDefault:"32" help:"events a live stream may have waiting for its client; one further behind is dropped"`
}

// ReadCacheConfig is the api's cache of chats, messages and pages
// (decorator.CachedReads); MB 0 turns it off.
type ReadCacheConfig struct {
	MB  int           `env:"CHAT_READ_CACHE_MB" envDefault:"64" help:"the api's cache of chats, messages and pages, in MB (0: off)"`
	TTL time.Duration `env:"CHAT_READ_CACHE_TTL" envDefault:"1m" help:"how long a cached read lives at most"`
}

// SQLiteConfig is the embedded profile's data: the database and the search index.
type SQLiteConfig struct {
	DataDir string `env:"CHAT_DATA_DIR" envDefault:"./data" help:"where the embedded profile keeps its data"`
}

type MySQLConfig struct {
	DSN string `env:"CHAT_MYSQL_DSN" production:"required" help:"go-sql-driver DSN of the system of record"`
	// ReplicaDSN, if set, serves the api's reads of chats and messages
	// (entstore.Store.WithReplica).
	ReplicaDSN string `env:"CHAT_MYSQL_REPLICA_DSN" help:"a read replica of CHAT_MYSQL_DSN for the api's reads (the read cache is off with one)"`
	MaxOpen    int    `env:"CHAT_MYSQL_MAX_OPEN" envDefault:"64" help:"connections a process opens to MySQL at most"`
	// ApplyParts: how many transactions the worker applies one batch in,
	// at once (entstore.Store.WithApplyParts).
	ApplyParts int `env:"CHAT_WORKER_TRANSACTIONS" envDefault:"4" check:"atleast1" help:"transactions one batch is applied in, at once, on MySQL"`
}

type RedisConfig struct {
	Addr string `env:"CHAT_REDIS_ADDR" production:"required" check:"seeds" help:"host:port of Redis, or a Redis Cluster's seed nodes, comma-separated"`
}

// SequencerConfig is the number sequences on Redis (redisadapter.Sequencer).
type SequencerConfig struct {
	// Lease: numbers a sequence hands out before it reserves more in
	// MySQL; after Redis lost a sequence, numbering resumes above its
	// reservation (see ports.SequenceFences).
	Lease        int64 `env:"CHAT_SEQUENCE_LEASE" envDefault:"1000" check:"atleast1" help:"numbers a sequence hands out before it reserves more in MySQL; never lower it on a running system"`
	HistoryCheck bool  `env:"CHAT_SEQUENCE_HISTORY_CHECK" envDefault:"true" help:"re-seed every sequence written before Redis restarted or failed over"`
	// RelayEvery: how often the api relays the degraded path's outbox to
	// the streams, and, while its writes go through MySQL, checks whether
	// Redis is back.
	RelayEvery time.Duration `env:"CHAT_OUTBOX_RELAY_INTERVAL" envDefault:"500ms" help:"how often the api relays writes made while Redis was unreachable to the streams, and looks whether Redis is back"`
}

type OpenSearchConfig struct {
	URL      string `env:"CHAT_OPENSEARCH_URL" production:"required" check:"urls" help:"URL of OpenSearch, or its nodes' URLs, comma-separated"`
	Index    string `env:"CHAT_OPENSEARCH_INDEX" envDefault:"messages" help:"the alias searches and writes go through"`
	Shards   int    `env:"CHAT_OPENSEARCH_SHARDS" envDefault:"1" help:"primary shards of a new index"`
	Replicas int    `env:"CHAT_OPENSEARCH_REPLICAS" envDefault:"0" help:"replicas of a new index"`
	Refresh  string `env:"CHAT_OPENSEARCH_REFRESH" help:"the bulk's refresh (wait_for makes indexed messages searchable before the bulk returns)"`
	Analysis string `env:"CHAT_SEARCH_ANALYSIS" envDefault:"trigrams" oneof:"trigrams grams" help:"how a new index analyzes bodies"`
}

// StreamConfig is the event log on Redis Streams, as both sides see it: the
// api appends and refuses writes past the backlog, the worker consumes.
type StreamConfig struct {
	Prefix     string `env:"CHAT_STREAM_PREFIX" envDefault:"chat.events" check:"streamname" help:"the streams' names"`
	Partitions int    `env:"CHAT_STREAM_PARTITIONS" envDefault:"4" check:"atleast1" help:"Redis streams the events are spread over, by application"`
	MaxLen     int64  `env:"CHAT_STREAM_MAXLEN" envDefault:"0" help:"an approximate cap on each stream's length (0: trimmed only of what both groups acknowledged)"`
	// The consumer groups: one persists, the other indexes, so that an index
	// outage delays only search.
	ConsumerGroup string        `env:"CHAT_CONSUMER_GROUP" envDefault:"chat-workers" help:"the consumer group that persists"`
	IndexerGroup  string        `env:"CHAT_INDEXER_GROUP" envDefault:"chat-indexers" help:"the consumer group that indexes"`
	WebhookGroup  string        `env:"CHAT_WEBHOOK_GROUP" envDefault:"chat-webhooks" help:"the consumer group that writes webhook deliveries (the workers' webhooks role); the streams keep what it has not read once it exists"`
	MaxBacklog    int64         `env:"CHAT_MAX_BACKLOG" envDefault:"1000000" help:"events a partition may hold unacknowledged by a group before the api refuses its writes (0: never)"`
	BacklogEvery  time.Duration `env:"CHAT_BACKLOG_INTERVAL" envDefault:"5s" help:"how often the backlog is read (the workers' gauge, the api's CHAT_MAX_BACKLOG)"`
	TrimEvery     time.Duration `env:"CHAT_STREAM_TRIM_INTERVAL" envDefault:"30s" help:"how often workers drop events both consumer groups acknowledged"`
	LiveRetention time.Duration `env:"CHAT_LIVE_RETENTION" envDefault:"10m" help:"how long acknowledged events stay in the streams, for live streams to resume from"`
}

// Groups are the stream's consumer groups: persisting and indexing.
func (s StreamConfig) Groups() []string { return []string{s.ConsumerGroup, s.IndexerGroup} }

// Topics are the streams' names.
func (s StreamConfig) Topics() eventwire.Topics {
	return eventwire.Topics{Prefix: s.Prefix, Partitions: s.Partitions}
}
