package stream_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// A planned failover (CLUSTER FAILOVER on a replica) of the master holding
// a partition while events are published and consumed: the publisher and
// the consumer group follow the partition to the promoted replica, and
// every event published is applied.
func TestConsumerFollowsAPlannedFailover(t *testing.T) {
	ctx := context.Background()
	addr := testenv.OwnRedisCluster(t, 3)
	topics := eventwire.Topics{Prefix: "failover", Partitions: 4}
	tr := redisTransport(t, addr, topics)
	rec := &recorder{got: map[string]domain.Event{}, failLeft: map[string]int{}}
	c, err := stream.NewConsumer(stream.ConsumerConfig{
		Concurrency: 64, MaxBatch: 32, Flushers: 1, Linger: time.Millisecond,
		MaxAttempts: 5, RetryInitial: 10 * time.Millisecond, RetryMax: 200 * time.Millisecond, CloseTimeout: 5 * time.Second,
	}, topics, tr.sub, tr.pub, rec, zap.NewNop(), stream.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pub := eventPub{tr.pub, topics}

	tok := domain.NewToken()
	var (
		mu        sync.Mutex
		published []domain.Event
		failed    int
		stop      = make(chan struct{})
		done      = make(chan struct{})
	)
	go func() {
		defer close(done)
		for n := int64(1); ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			e := domain.MessageCreated{Token: tok, Chat: 1, Number: n, Body: fmt.Sprint("m", n), CreatedAt: time.Unix(0, 0).UTC()}
			err := pub.Publish(ctx, e)
			mu.Lock()
			if err != nil {
				failed++
			} else {
				published = append(published, e)
			}
			mu.Unlock()
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(published) }
	waitFor := func(what string, n int, got func() int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for got() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d, want %d", what, got(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("published before the failover", 300, count)

	cluster := goRedis(t, addr).(*goredis.ClusterClient)
	slot, err := cluster.ClusterKeySlot(ctx, topics.For(tok)).Result()
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := cluster.ClusterNodes(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	_, replicaAddr := testenv.SlotOwners(nodes, slot)
	if replicaAddr == "" {
		t.Fatalf("no replica of the master of slot %d in\n%s", slot, nodes)
	}
	replica := goredis.NewClient(&goredis.Options{Addr: replicaAddr})
	defer replica.Close()
	if err := replica.ClusterFailover(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		role, _ := replica.Do(ctx, "ROLE").Slice()
		if len(role) > 0 && role[0] == "master" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica was not promoted")
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := count()
	waitFor("published after the failover", before+300, count)
	close(stop)
	<-done

	mu.Lock()
	all := published
	mu.Unlock()
	waitFor("applied", len(all), rec.count)
	for _, e := range all {
		if got, ok := rec.got[fmt.Sprint(e)]; !ok || got != e {
			t.Fatalf("event %v was published and not applied", e)
		}
	}
	t.Logf("%d events published (%d before the failover), %d publishes failed meanwhile", len(all), before, failed)
}
