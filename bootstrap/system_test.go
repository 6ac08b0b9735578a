package bootstrap_test

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/adapters/httpapi"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/adapters/streamlog"
	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
)

func queryInts(t *testing.T, db *sql.DB, q string, args ...any) []int64 {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// streamsClient is a go-redis client of the configuration's Redis (or cluster).
func streamsClient(cfg bootstrap.Config) goredis.UniversalClient {
	return stream.NewRedisClient(redisadapter.Addresses(cfg.Redis.Addr), 8)
}

func wantOneToN(t *testing.T, what string, got []int64, n int) {
	t.Helper()
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if len(got) != n {
		t.Fatalf("%s: %d rows, want %d", what, len(got), n)
	}
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("%s: sorted[%d] = %d, want %d", what, i, v, i+1)
		}
	}
}

// Two api instances and two workers, hundreds of concurrent creates on the
// same application and chats: numbers are exactly 1..N per scope, nothing is
// lost, and the counters converge.
func TestConcurrentCreatesOnTwoAPIs(t *testing.T) {
	testenv.EachRedis(t, testConcurrentCreatesOnTwoAPIs)
}

func testConcurrentCreatesOnTwoAPIs(t *testing.T, redisAddr string) {
	extra := map[string]string{"CHAT_WORKER_CONCURRENCY": "16", "CHAT_STREAM_TRIM_INTERVAL": "200ms",
		"CHAT_LIVE_RETENTION": "1ms", "CHAT_REDIS_ADDR": redisAddr, "CHAT_STREAM_PARTITIONS": "8"}
	if strings.Contains(redisAddr, ",") {
		// On the Redis Cluster, the two-node OpenSearch too: two shards, a
		// replica of each on the other node.
		pair, alias := testenv.OpenSearchCluster(t)
		extra["CHAT_OPENSEARCH_URL"], extra["CHAT_OPENSEARCH_INDEX"] = pair.URL(), alias
		extra["CHAT_OPENSEARCH_SHARDS"], extra["CHAT_OPENSEARCH_REPLICAS"] = "2", "1"
	}
	env := productionEnv(t, extra)
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	s.addWorker(env, "w1")
	s.addWorker(env, "w2")
	apis := apiInstances(t, cfg, 2)
	tok := newApplication(t, apis[0], "busy")
	app := "/api/v1/chat_applications/" + tok

	const chats, messagesPerChat, workers = 40, 60, 32
	var mu sync.Mutex
	var chatNumbers []int64
	var wg sync.WaitGroup
	jobs := make(chan int, chats)
	for i := 0; i < chats; i++ {
		jobs <- i
	}
	close(jobs)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range jobs {
				r := apis[i%2].call(t, "POST", app+"/chats", nil)
				if r.Status != 201 {
					t.Errorf("chat create: %d %s", r.Status, r.Raw)
					return
				}
				mu.Lock()
				chatNumbers = append(chatNumbers, r.num("number"))
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	wantOneToN(t, "chat numbers answered", chatNumbers, chats)

	// Messages go to the first 5 chats, from both apis at once.
	msgNumbers := make(map[int64][]int64)
	msgJobs := make(chan int, 5*messagesPerChat)
	for i := 0; i < 5*messagesPerChat; i++ {
		msgJobs <- i
	}
	close(msgJobs)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range msgJobs {
				chat := int64(i%5 + 1)
				r := apis[i%2].call(t, "POST", fmt.Sprintf("%s/chats/%d/messages", app, chat), map[string]any{"body": fmt.Sprintf("m%d", i)})
				if r.Status != 201 {
					t.Errorf("message create: %d %s", r.Status, r.Raw)
					return
				}
				mu.Lock()
				msgNumbers[chat] = append(msgNumbers[chat], r.num("number"))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for chat, nums := range msgNumbers {
		wantOneToN(t, fmt.Sprintf("chat %d message numbers answered", chat), nums, messagesPerChat)
	}

	db, err := entstore.OpenMySQL(cfg.MySQL.DSN, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eventually(t, "every chat and message persisted", func() bool {
		n := queryInts(t, db, "SELECT COUNT(*) FROM messages")
		c := queryInts(t, db, "SELECT COUNT(*) FROM chats")
		return c[0] == chats && n[0] == 5*messagesPerChat
	})
	wantOneToN(t, "persisted chat numbers", queryInts(t, db, "SELECT number FROM chats"), chats)
	for chat := int64(1); chat <= 5; chat++ {
		wantOneToN(t, fmt.Sprintf("persisted messages of chat %d", chat), queryInts(t, db,
			"SELECT m.number FROM messages m JOIN chats c ON c.id = m.chat_id WHERE c.number = ?", chat), messagesPerChat)
	}
	eventually(t, "counters converge", func() bool {
		a := apis[1].call(t, "GET", "/api/v1/chat_applications/"+tok, nil)
		c := apis[1].call(t, "GET", app+"/chats/3", nil)
		return a.num("chats_count") == chats && c.num("messages_count") == messagesPerChat
	})
	// Indexed: one body, searched in its chat, found once (m123 went to chat 123%5+1).
	eventually(t, "messages searchable", func() bool {
		r := apis[0].call(t, "GET", app+"/chats/4/messages/search?q=m123", nil)
		return r.Status == 200 && len(r.items(t)) == 1
	})
	// Once both groups (persisting, indexing) acknowledged everything, the
	// streams are trimmed: Redis keeps the backlog, not the history.
	rdb := streamsClient(cfg)
	defer rdb.Close()
	eventually(t, "streams trimmed", func() bool {
		total := int64(0)
		for _, topic := range cfg.Stream.Topics().All() {
			n, _ := rdb.XLen(context.Background(), topic).Result()
			total += n
		}
		return total == 0
	})
}

// A worker that took events and died before acknowledging them: another
// worker claims them once they have been idle long enough, and nothing is lost.
func TestKilledWorkersEventsAreClaimed(t *testing.T) {
	testenv.EachRedis(t, testKilledWorkersEventsAreClaimed)
}

func testKilledWorkersEventsAreClaimed(t *testing.T, redisAddr string) {
	env := productionEnv(t, map[string]string{"CHAT_CLAIM_IDLE": "1s", "CHAT_CLAIM_INTERVAL": "200ms", "CHAT_REDIS_ADDR": redisAddr})
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	var srv *httpapi.Server
	startApp(t, bootstrap.API(cfg), fx.Populate(&srv))
	s.URL = "http://" + srv.Addr()

	tok := newApplication(t, s, "fragile")
	app := "/api/v1/chat_applications/" + tok
	// Each event carries the id of the request that caused it: the
	// client's own, or the one the api gave.
	requests := map[string]bool{"client-chosen-" + tok[:8]: true}
	s.call(t, "POST", app+"/chats", nil, "X-Request-Id", "client-chosen-"+tok[:8]).want(t, 201)
	for i := 0; i < 30; i++ {
		r := s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": fmt.Sprintf("m%d", i)}).want(t, 201)
		requests[r.Header.Get("X-Request-Id")] = true
	}

	// The doomed worker: it reads every event into its hands and dies
	// without acknowledging one.
	rdb := streamsClient(cfg)
	defer rdb.Close()
	ctx := context.Background()
	taken := 0
	for _, topic := range cfg.Stream.Topics().All() {
		if err := rdb.XGroupCreateMkStream(ctx, topic, cfg.Stream.ConsumerGroup, "0").Err(); err != nil && err.Error() != "BUSYGROUP Consumer Group name already exists" {
			t.Fatal(err)
		}
		res, err := rdb.XReadGroup(ctx, &goredis.XReadGroupArgs{Group: cfg.Stream.ConsumerGroup, Consumer: "doomed",
			Streams: []string{topic, ">"}, Count: 1000, Block: -1}).Result()
		if err != nil && err != goredis.Nil {
			t.Fatal(err)
		}
		for _, st := range res {
			taken += len(st.Messages)
			for _, m := range st.Messages {
				msg, err := redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(m.Values)
				if err != nil {
					t.Fatal(err)
				}
				if id := msg.Metadata.Get(eventwire.RequestIDKey); !requests[id] {
					t.Fatalf("event %s carries request id %q, not one of its requests'", msg.UUID, id)
				}
				delete(requests, msg.Metadata.Get(eventwire.RequestIDKey))
			}
		}
	}
	if taken != 31 || len(requests) != 0 {
		t.Fatalf("the doomed worker took %d events, want all 31; request ids not seen: %v", taken, requests)
	}

	s.addWorker(env, "survivor")
	eventually(t, "the survivor persisted the dead worker's events", func() bool {
		r := s.call(t, "GET", app+"/chats/1/messages?limit=200", nil)
		return r.Status == 200 && len(r.items(t)) == 30
	})
	eventually(t, "nothing left pending", func() bool {
		backlog, err := streamlog.Unacknowledged(ctx, rdb, cfg.Stream.Topics(), []string{cfg.Stream.ConsumerGroup})
		if err != nil {
			t.Fatal(err)
		}
		total := int64(0)
		for _, n := range backlog {
			total += n
		}
		return total == 0
	})
}

// An event that can never succeed goes, after bounded attempts, to the
// dead-letter stream, where an operator finds it with the reason; the
// events around it are applied.
func TestPoisonEventIsDeadLettered(t *testing.T) {
	testenv.EachRedis(t, testPoisonEventIsDeadLettered)
}

func testPoisonEventIsDeadLettered(t *testing.T, redisAddr string) {
	env := productionEnv(t, map[string]string{"CHAT_WORKER_MAX_ATTEMPTS": "3", "CHAT_WORKER_RETRY_INITIAL": "10ms", "CHAT_REDIS_ADDR": redisAddr})
	s := productionStack(t, env)
	cfg := s.Config
	tok := newApplication(t, s, "victim")
	rdb := streamsClient(cfg)
	defer rdb.Close()

	pub, err := stream.NewRedisPublisher(rdb, stream.RedisConfig{MaxLen: cfg.Stream.MaxLen}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	bad := message.NewMessage("bad-1", []byte(`{"token":"nope","number":1}`))
	bad.Metadata.Set("event_type", "chat.created")
	if err := pub.Publish(cfg.Stream.Topics().Partition(0), bad); err != nil {
		t.Fatal(err)
	}
	ghost, _ := eventwire.Encode(ports.WithRequestID(context.Background(), "ghost-request"), domain.ChatCreated{Token: domain.NewToken(), Number: 1, CreatedAt: time.Now()})
	if err := pub.Publish(cfg.Stream.Topics().Partition(1), ghost); err != nil {
		t.Fatal(err)
	}
	s.call(t, "POST", "/api/v1/chat_applications/"+tok+"/chats", nil).want(t, 201)

	eventually(t, "both poison events dead-lettered", func() bool {
		n, err := rdb.XLen(context.Background(), cfg.Stream.Topics().DeadLetter()).Result()
		return err == nil && n == 2
	})
	entries, err := rdb.XRange(context.Background(), cfg.Stream.Topics().DeadLetter(), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if md, _ := e.Values["metadata"].(string); !strings.Contains(md, "reason_poisoned") || !strings.Contains(md, "invalid event") {
			t.Fatalf("dead letter without a reason: %v", e.Values)
		}
	}
	eventually(t, "the good event around them persisted", func() bool {
		return s.call(t, "GET", "/api/v1/chat_applications/"+tok+"/chats/1", nil).Status == 200
	})

	// The operator lists them with the reason, and replays them; a replayed
	// event that still cannot succeed comes back to the dead letters.
	letters, err := stream.DeadLetters(context.Background(), rdb, cfg.Stream.Topics().DeadLetter(), 10)
	if err != nil || len(letters) != 2 {
		t.Fatalf("dead letters %v, %v", letters, err)
	}
	for _, l := range letters {
		if l.Reason == "" || l.Topic == "" || l.Kind != "chat.created" {
			t.Fatalf("dead letter %+v", l)
		}
		want := "ghost-request" // the request that caused it, as the operator sees it
		if l.UUID == "bad-1" {
			want = ""
		}
		if l.Request != want {
			t.Fatalf("dead letter %s names request %q, want %q", l.UUID, l.Request, want)
		}
	}
	n, err := stream.Replay(context.Background(), rdb, pub, cfg.Stream.Topics().DeadLetter(), letters[:1], nil)
	if err != nil || n != 1 {
		t.Fatalf("replay: %d %v", n, err)
	}
	eventually(t, "the replayed poison event dead-lettered again", func() bool {
		l, err := stream.DeadLetters(context.Background(), rdb, cfg.Stream.Topics().DeadLetter(), 10)
		return err == nil && len(l) == 2 && l[1].UUID == letters[0].UUID && l[1].Request == letters[0].Request
	})
}
