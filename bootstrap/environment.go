package bootstrap

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/chatsvc/chat/domain"
)

// environment is every variable the service reads, with its default (the
// README's configuration table). Counts are unsigned: a negative one is
// refused; every duration must be positive.
type environment struct {
	Profile         string        `env:"CHAT_PROFILE" envDefault:"embedded"`
	HTTPAddr        string        `env:"CHAT_HTTP_ADDR" envDefault:":8080"`
	AdminToken      string        `env:"CHAT_ADMIN_TOKEN"`
	MaxRequestBytes uint          `env:"CHAT_MAX_REQUEST_BYTES" envDefault:"1048576"`
	MaxBodyBytes    uint          `env:"CHAT_MAX_BODY_BYTES"`
	RateLimit       uint          `env:"CHAT_RATE_LIMIT"`
	AppWriteRate    uint          `env:"CHAT_APP_WRITE_RATE"`
	AppWriteBurst   uint          `env:"CHAT_APP_WRITE_BURST"`
	AppReadRate     uint          `env:"CHAT_APP_READ_RATE"`
	AppReadBurst    uint          `env:"CHAT_APP_READ_BURST"`
	DataDir         string        `env:"CHAT_DATA_DIR" envDefault:"./data"`
	WorkerHTTPAddr  string        `env:"CHAT_WORKER_HTTP_ADDR" envDefault:":8081"`
	DebugAddr       string        `env:"CHAT_DEBUG_ADDR"`
	MySQLDSN        string        `env:"CHAT_MYSQL_DSN"`
	MySQLMaxOpen    uint          `env:"CHAT_MYSQL_MAX_OPEN" envDefault:"64"`
	MySQLReplicaDSN string        `env:"CHAT_MYSQL_REPLICA_DSN"`
	RedisAddr       string        `env:"CHAT_REDIS_ADDR"`
	SequenceLease   uint          `env:"CHAT_SEQUENCE_LEASE" envDefault:"1000"`
	HistoryCheck    bool          `env:"CHAT_SEQUENCE_HISTORY_CHECK" envDefault:"true"`
	OpenSearchURL   string        `env:"CHAT_OPENSEARCH_URL"`
	OpenSearchIndex string        `env:"CHAT_OPENSEARCH_INDEX" envDefault:"messages"`
	Shards          uint          `env:"CHAT_OPENSEARCH_SHARDS" envDefault:"1"`
	Replicas        uint          `env:"CHAT_OPENSEARCH_REPLICAS"`
	Refresh         string        `env:"CHAT_OPENSEARCH_REFRESH"`
	IndexerGroup    string        `env:"CHAT_INDEXER_GROUP" envDefault:"chat-indexers"`
	SearchTimeout   time.Duration `env:"CHAT_SEARCH_TIMEOUT" envDefault:"3s"`
	Analysis        string        `env:"CHAT_SEARCH_ANALYSIS" envDefault:"trigrams"`
	IndexerMaxBatch uint          `env:"CHAT_INDEXER_MAX_BATCH" envDefault:"1000"`
	IndexerLinger   time.Duration `env:"CHAT_INDEXER_LINGER" envDefault:"20ms"`
	StreamPrefix    string        `env:"CHAT_STREAM_PREFIX" envDefault:"chat.events"`
	Partitions      uint          `env:"CHAT_STREAM_PARTITIONS" envDefault:"4"`
	TrimEvery       time.Duration `env:"CHAT_STREAM_TRIM_INTERVAL" envDefault:"30s"`
	LiveRetention   time.Duration `env:"CHAT_LIVE_RETENTION" envDefault:"10m"`
	ConsumerGroup   string        `env:"CHAT_CONSUMER_GROUP" envDefault:"chat-workers"`
	ConsumerName    string        `env:"CHAT_CONSUMER_NAME"` // default: host-pid
	ClaimIdle       time.Duration `env:"CHAT_CLAIM_IDLE" envDefault:"30s"`
	ClaimInterval   time.Duration `env:"CHAT_CLAIM_INTERVAL" envDefault:"5s"`
	StreamMaxLen    uint          `env:"CHAT_STREAM_MAXLEN"`
	MaxBacklog      uint          `env:"CHAT_MAX_BACKLOG" envDefault:"1000000"`
	Concurrency     uint          `env:"CHAT_WORKER_CONCURRENCY" envDefault:"512"`
	MaxBatch        uint          `env:"CHAT_WORKER_MAX_BATCH" envDefault:"256"`
	Flushers        uint          `env:"CHAT_WORKER_FLUSHERS" envDefault:"2"`
	ApplyParts      uint          `env:"CHAT_WORKER_TRANSACTIONS" envDefault:"4"`
	Linger          time.Duration `env:"CHAT_WORKER_LINGER" envDefault:"2ms"`
	MaxAttempts     uint          `env:"CHAT_WORKER_MAX_ATTEMPTS" envDefault:"5"`
	RetryInitial    time.Duration `env:"CHAT_WORKER_RETRY_INITIAL" envDefault:"100ms"`
	RetryMax        time.Duration `env:"CHAT_WORKER_RETRY_MAX" envDefault:"10s"`
	CloseTimeout    time.Duration `env:"CHAT_WORKER_CLOSE_TIMEOUT" envDefault:"20s"`
	FlushEvery      time.Duration `env:"CHAT_COUNTER_FLUSH_INTERVAL" envDefault:"1s"`
	ReconcileEvery  time.Duration `env:"CHAT_RECONCILE_INTERVAL" envDefault:"10m"`
	BacklogEvery    time.Duration `env:"CHAT_BACKLOG_INTERVAL" envDefault:"5s"`
	GroupCheckEvery time.Duration `env:"CHAT_GROUP_CHECK_INTERVAL" envDefault:"2s"`
	WorkerRoles     []string      `env:"CHAT_WORKER_ROLES" envDefault:"persist,index"`
	LiveMax         uint          `env:"CHAT_LIVE_MAX_STREAMS" envDefault:"10000"`
	LiveMaxPerApp   uint          `env:"CHAT_LIVE_MAX_STREAMS_PER_APP" envDefault:"100"`
	LiveBuffer      uint          `env:"CHAT_LIVE_BUFFER" envDefault:"32"`
	LiveHeartbeat   time.Duration `env:"CHAT_LIVE_HEARTBEAT" envDefault:"15s"`
	ReadCacheMB     uint          `env:"CHAT_READ_CACHE_MB" envDefault:"64"`
	ReadCacheTTL    time.Duration `env:"CHAT_READ_CACHE_TTL" envDefault:"1m"`
	LogLevel        string        `env:"CHAT_LOG_LEVEL" envDefault:"info"`
	LogFormat       string        `env:"CHAT_LOG_FORMAT" envDefault:"json"`
	StartupAttempts uint          `env:"CHAT_STARTUP_ATTEMPTS" envDefault:"15"`
	StartupEvery    time.Duration `env:"CHAT_STARTUP_RETRY" envDefault:"1s"`
}

// readEnvironment parses the variables getenv gives (blank is unset) and
// returns every problem with them, each naming its variable.
func readEnvironment(getenv func(string) string) (environment, []string) {
	e := environment{MaxBodyBytes: domain.DefaultMaxBodyBytes}
	t := reflect.TypeOf(e)
	vars := map[string]string{}
	keyOf := map[string]string{} // field name -> variable
	for i := range t.NumField() {
		key := t.Field(i).Tag.Get("env")
		keyOf[t.Field(i).Name] = key
		if v := strings.TrimSpace(getenv(key)); v != "" {
			vars[key] = v
		}
	}
	// Every duration must be positive: refused by its parser, it is reported
	// like any value that does not parse.
	positive := func(v string) (any, error) {
		d, err := time.ParseDuration(v)
		if err == nil && d <= 0 {
			err = errors.New("not positive")
		}
		return d, err
	}
	opts := env.Options{Environment: vars, FuncMap: map[reflect.Type]env.ParserFunc{reflect.TypeOf(time.Duration(0)): positive}}
	var problems []string
	if err := env.ParseWithOptions(&e, opts); err != nil {
		var agg env.AggregateError
		if !errors.As(err, &agg) {
			return e, []string{err.Error()}
		}
		for _, err := range agg.Errors {
			var pe env.ParseError
			if !errors.As(err, &pe) {
				problems = append(problems, err.Error())
				continue
			}
			key, want := keyOf[pe.Name], "a non-negative integer"
			if pe.Type == reflect.TypeOf(time.Duration(0)) {
				want = "a positive duration such as 5s"
			}
			problems = append(problems, fmt.Sprintf("%s must be %s, not %q", key, want, vars[key]))
		}
	}
	return e, problems
}

// Variables lists every environment variable the service reads.
func Variables() []string {
	t := reflect.TypeOf(environment{})
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		out = append(out, t.Field(i).Tag.Get("env"))
	}
	return out
}
