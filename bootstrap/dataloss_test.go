package bootstrap_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/httpapi"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// Redis restarted empty (FLUSHALL) under load, while a worker holds events it
// cannot write yet (its MySQL is away) and more wait in the stream: no
// number is ever acknowledged twice, nothing persisted differs from what was
// acknowledged under its number, the workers recreate their groups and carry
// on by themselves, and the events the worker held are written once it can.
func TestRedisDataLossUnderLoad(t *testing.T) {
	t.Run("redis", func(t *testing.T) { redisDataLossUnderLoad(t, testenv.OwnRedis(t)) })
	// A cluster of its own, every master flushed: the sequences and the
	// consumer groups of every partition, on every node, come back.
	t.Run("cluster", func(t *testing.T) { redisDataLossUnderLoad(t, testenv.OwnRedisCluster(t, 3)) })
}

func redisDataLossUnderLoad(t *testing.T, redisAddr string) {
	env := productionEnv(t, map[string]string{
		"CHAT_REDIS_ADDR":           redisAddr,
		"CHAT_WORKER_RETRY_MAX":     "200ms",
		"CHAT_GROUP_CHECK_INTERVAL": "200ms",
		"CHAT_SEQUENCE_LEASE":       "16", // small, so that load crosses reservations
	})
	// The worker reaches MySQL through a proxy that the test stops; the api does not.
	dsn, err := mysql.ParseDSN(env["CHAT_MYSQL_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, dsn.Addr)
	dsn.Addr = px.addr
	workerEnv := map[string]string{}
	for k, v := range env {
		workerEnv[k] = v
	}
	workerEnv["CHAT_MYSQL_DSN"] = dsn.FormatDSN()
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	workerEnv["CHAT_CONSUMER_NAME"] = "w1"
	var ops *httpapi.Server
	startApp(t, bootstrap.Worker(loadConfig(t, workerEnv)), fx.Populate(&ops))
	worker := &stack{URL: "http://" + ops.Addr(), t: t}
	var srv *httpapi.Server
	startApp(t, bootstrap.API(cfg), fx.Populate(&srv))
	s.URL = "http://" + srv.Addr()

	tok := newApplication(t, s, "data-loss")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	acked := map[int64][]string{} // message number -> bodies acknowledged under it
	var mu sync.Mutex
	create := func(i int, phase string) {
		body := fmt.Sprintf("%s-%d", phase, i)
		r := s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": body})
		if r.Status != 201 {
			t.Errorf("create %s: %d %s", body, r.Status, r.Raw)
			return
		}
		mu.Lock()
		acked[r.num("number")] = append(acked[r.num("number")], body)
		mu.Unlock()
	}
	createMany := func(n int, phase string) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) { defer wg.Done(); create(i, phase) }(i)
		}
		wg.Wait()
	}
	createMany(5, "persisted")
	eventually(t, "the first messages persisted", func() bool {
		r := s.call(t, "GET", app+"/chats/1/messages", nil)
		return r.Status == 200 && len(r.items(t)) == 5
	})

	rc := stream.NewRedisClient(redisadapter.Addresses(redisAddr), 4)
	defer rc.Close()
	px.stop()
	createMany(40, "held")
	// The worker takes some into its hands (read, not acknowledged) and cannot write them.
	partition := cfg.Stream.Topics().For(domain.Token(tok))
	eventually(t, "the worker holds events", func() bool {
		p, err := rc.XPending(context.Background(), partition, cfg.Stream.ConsumerGroup).Result()
		return err == nil && p.Count > 0
	})
	flush := func(ctx context.Context, c *goredis.Client) error { return c.FlushAll(ctx).Err() }
	if cluster, ok := rc.(*goredis.ClusterClient); ok {
		if err := cluster.ForEachMaster(context.Background(), flush); err != nil {
			t.Fatal(err)
		}
	} else if err := flush(context.Background(), rc.(*goredis.Client)); err != nil {
		t.Fatal(err)
	}
	createMany(20, "after") // the api fences the sequences and numbers above the gap
	px.start(t)

	var highestBefore, lowestAfter int64 = 0, 1 << 62
	for n, bodies := range acked {
		if len(bodies) > 1 {
			t.Fatalf("number %d acknowledged %d times: %v", n, len(bodies), bodies)
		}
		if strings.HasPrefix(bodies[0], "after-") {
			lowestAfter = min(lowestAfter, n)
		} else {
			highestBefore = max(highestBefore, n)
		}
	}
	if lowestAfter <= highestBefore {
		t.Fatalf("after the loss numbering resumed at %d, below %d handed out before", lowestAfter, highestBefore)
	}
	// The workers carry on by themselves: everything acknowledged after the
	// loss is persisted, and so is every event the worker held.
	eventually(t, "the writes acknowledged after the loss persisted", func() bool {
		persisted := map[int64]string{}
		for cursor := ""; ; {
			r := s.call(t, "GET", app+"/chats/1/messages?limit=200"+cursor, nil)
			if r.Status != 200 {
				return false
			}
			for _, m := range r.items(t) {
				persisted[int64(m["number"].(float64))] = m["body"].(string)
			}
			if r.Body["next_cursor"] == nil {
				break
			}
			cursor = "&cursor=" + r.str("next_cursor")
		}
		after := 0
		for n, body := range persisted {
			if want := acked[n]; len(want) != 1 || want[0] != body {
				t.Fatalf("message %d persisted as %q, acknowledged as %v", n, body, want)
			}
			if strings.HasPrefix(body, "after-") {
				after++
			}
		}
		return after == 20 && len(persisted) > 25
	})
	eventually(t, "the worker is ready again", func() bool {
		return worker.call(t, "GET", "/readyz", nil).Status == 200
	})
}
