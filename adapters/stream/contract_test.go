package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// transport is one queue the contract runs on: how to publish, how to
// subscribe, and how many subscribers a partition may have.
type transport struct {
	pub         message.Publisher
	sub         message.Subscriber
	concurrency int
}

// recorder applies events by remembering them; it fails the first tries of
// events it is told to, as a database that is briefly down would.
type recorder struct {
	mu       sync.Mutex
	got      map[string]domain.Event
	failLeft map[string]int
}

func (r *recorder) Apply(_ context.Context, events []domain.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range events {
		key := fmt.Sprint(e)
		if r.failLeft[key] > 0 {
			r.failLeft[key]--
			return domain.Unavailable("database", errors.New("down for a moment"))
		}
	}
	for _, e := range events {
		r.got[fmt.Sprint(e)] = e
	}
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// The publisher/consumer contract: every published event reaches the
// applier intact, a transient failure is retried until it passes, and an
// event that cannot be decoded goes to the dead letters.
func consumerContract(t *testing.T, newTransport func(t *testing.T, topics eventwire.Topics) transport) {
	topics := eventwire.Topics{Prefix: "contract." + testenv.Suffix(), Partitions: 2}
	tr := newTransport(t, topics)
	rec := &recorder{got: map[string]domain.Event{}, failLeft: map[string]int{}}
	dead := 0
	var deadMu sync.Mutex
	c, err := stream.NewConsumer(stream.ConsumerConfig{
		Concurrency: tr.concurrency, MaxBatch: 16, Flushers: 1, Linger: time.Millisecond,
		MaxAttempts: 2, RetryInitial: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond, CloseTimeout: 5 * time.Second,
	}, topics, tr.sub, tr.pub, rec, zap.NewNop(), stream.Hooks{DeadLettered: func() { deadMu.Lock(); dead++; deadMu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	pub := eventPub{tr.pub, topics}
	tok := domain.NewToken()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	events := []domain.Event{domain.ChatCreated{Token: tok, Number: 1, CreatedAt: at}}
	for i := int64(1); i <= 40; i++ {
		events = append(events, domain.MessageCreated{Token: tok, Chat: 1 + i%3, Number: i, Body: fmt.Sprintf("body %d", i), CreatedAt: at})
	}
	events = append(events, domain.MessageEdited{Token: tok, Chat: 2, Number: 5, Body: "edited", Version: 3, EditedAt: at})
	rec.failLeft[fmt.Sprint(events[3])] = 1 // transient: applied on a later try
	var wg sync.WaitGroup
	for _, e := range events {
		wg.Add(1)
		go func(e domain.Event) {
			defer wg.Done()
			if err := pub.Publish(context.Background(), e); err != nil {
				t.Error(err)
			}
		}(e)
	}
	wg.Wait()
	bad := message.NewMessage("bad", []byte("not json"))
	bad.Metadata.Set("event_type", "message.created")
	if err := tr.pub.Publish(topics.Partition(0), bad); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(20 * time.Second)
	for rec.count() < len(events) || func() bool { deadMu.Lock(); defer deadMu.Unlock(); return dead < 1 }() {
		if time.Now().After(deadline) {
			t.Fatalf("applied %d of %d events, %d dead letters", rec.count(), len(events), dead)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, e := range events {
		if got, ok := rec.got[fmt.Sprint(e)]; !ok || got != e {
			t.Fatalf("event %v arrived as %v", e, got)
		}
	}
}

func TestInProcessQueueContract(t *testing.T) {
	consumerContract(t, func(t *testing.T, _ eventwire.Topics) transport {
		ch := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, stream.NewZapLogger(zap.NewNop()))
		t.Cleanup(func() { ch.Close() })
		return transport{pub: ch, sub: ch, concurrency: 1}
	})
}

func TestRedisStreamsContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		consumerContract(t, func(t *testing.T, topics eventwire.Topics) transport {
			return redisTransport(t, addr, topics)
		})
	})
}

func redisTransport(t *testing.T, addr string, topics eventwire.Topics) transport {
	client := goRedis(t, addr)
	t.Cleanup(func() {
		for _, tp := range append(topics.All(), topics.DeadLetter()) {
			client.Del(context.Background(), tp)
		}
	})
	cfg := stream.RedisConfig{ConsumerGroup: "contract", ConsumerName: "c", ClaimIdle: time.Minute, ClaimInterval: time.Second}
	pub, err := stream.NewRedisPublisher(client, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	sub, err := stream.NewRedisSubscriber(client, cfg, 4, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return transport{pub: pub, sub: sub, concurrency: 4}
}

// Trimming keeps what any group still needs and drops what all acknowledged.
func TestTrimAcknowledged(t *testing.T) { testenv.EachRedis(t, testTrimAcknowledged) }

func testTrimAcknowledged(t *testing.T, addr string) {
	ctx := context.Background()
	client := goRedis(t, addr)
	topics := eventwire.Topics{Prefix: "trim." + testenv.Suffix(), Partitions: 1}
	topic := topics.Partition(0)
	defer client.Del(ctx, topic)
	var ids []string
	for i := 0; i < 10; i++ {
		id, err := client.XAdd(ctx, &goredis.XAddArgs{Stream: topic, Values: map[string]any{"i": i}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, g := range []string{"fast", "slow"} {
		if err := client.XGroupCreate(ctx, topic, g, "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	read := func(group string, n int64, ack bool) {
		res, err := client.XReadGroup(ctx, &goredis.XReadGroupArgs{Group: group, Consumer: "c", Streams: []string{topic, ">"}, Count: n, Block: -1}).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ack {
			for _, m := range res[0].Messages {
				client.XAck(ctx, topic, group, m.ID)
			}
		}
	}
	read("fast", 10, true) // fast acknowledged all
	read("slow", 6, true)  // slow acknowledged 6, holds 2 pending, has 2 unread
	read("slow", 2, false)
	if n, err := stream.TrimAcknowledged(ctx, client, topics, []string{"fast", "slow", "missing"}, 0); err != nil || n != 0 {
		t.Fatalf("with a group that does not exist, trimmed %d (%v), want 0", n, err)
	}
	if n, err := stream.TrimAcknowledged(ctx, client, topics, []string{"fast", "slow"}, time.Hour); err != nil || n != 0 {
		t.Fatalf("within the retention window, trimmed %d (%v), want 0", n, err)
	}
	// Entries of the current millisecond are within even a zero retention
	// (the window ends at now, in whole milliseconds): wait until the
	// millisecond of the last entry both groups acknowledged has passed.
	lastAcked, err := strconv.ParseInt(strings.SplitN(ids[5], "-", 2)[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	for time.Now().UnixMilli() <= lastAcked {
		time.Sleep(time.Until(time.UnixMilli(lastAcked + 1)))
	}
	n, err := stream.TrimAcknowledged(ctx, client, topics, []string{"fast", "slow"}, 0)
	if err != nil || n != 6 {
		t.Fatalf("trimmed %d (%v), want the 6 both groups acknowledged", n, err)
	}
	left, _ := client.XRange(ctx, topic, "-", "+").Result()
	if len(left) != 4 || left[0].ID != ids[6] {
		t.Fatalf("left %d entries starting at %v, want 4 from %s", len(left), left, ids[6])
	}
}

// On a Redis Cluster the partitions spread over the nodes: the default
// four land on each of the three masters scripts/services.sh starts, and
// the applications spread evenly over the partitions.
func TestPartitionsSpreadOverClusterNodes(t *testing.T) {
	ctx := context.Background()
	c, ok := goRedis(t, testenv.RedisClusterAddr(t)).(*goredis.ClusterClient)
	if !ok {
		t.Fatal("several seed nodes did not make a cluster client")
	}
	shards, err := c.ClusterShards(ctx).Result() // a shard: a master and its replicas, and the slots they serve
	if err != nil {
		t.Fatal(err)
	}
	topics := eventwire.Topics{Prefix: "chat.events", Partitions: 4}
	nodes := map[int]bool{}
	for _, p := range topics.All() {
		slot, err := c.ClusterKeySlot(ctx, p).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i, sh := range shards {
			for _, r := range sh.Slots {
				if r.Start <= slot && slot <= r.End {
					nodes[i] = true
				}
			}
		}
	}
	if len(nodes) != len(shards) {
		t.Fatalf("the partitions live on %d of the %d shards: %v", len(nodes), len(shards), nodes)
	}
	per := map[string]int{}
	const apps = 4000
	for range apps {
		per[topics.For(domain.NewToken())]++
	}
	for _, p := range topics.All() {
		if per[p] < apps/4*8/10 || per[p] > apps/4*12/10 {
			t.Fatalf("partition %s has %d of %d applications", p, per[p], apps)
		}
	}
}
