package stream_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/internal/testenv"
)

func goRedis(t *testing.T, addr string) goredis.UniversalClient {
	t.Helper()
	c := stream.NewRedisClient(strings.Split(addr, ","), 64)
	t.Cleanup(func() { c.Close() })
	return c
}

func batchPubSub(t *testing.T, addr, group string) (message.Publisher, message.Subscriber) {
	client := goRedis(t, addr)
	// The stock publisher closes its client when it closes: one of its own.
	pub, err := redisstream.NewPublisher(redisstream.PublisherConfig{Client: goRedis(t, addr)}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := stream.NewBatchSubscriber(stream.BatchSubscriberConfig{
		Client: client, ConsumerGroup: group, Consumer: watermill.NewShortUUID(),
		BlockTime: 50 * time.Millisecond, ClaimIdle: time.Second, ClaimInterval: 500 * time.Millisecond,
		DrainTimeout: 100 * time.Millisecond, MaxInFlight: 64, ReadCount: 16,
	}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	return pub, sub
}

// Watermill's own Pub/Sub suite, on the real Redis: delivery, consumer
// groups, resending nacked messages, closing and continuing, contexts.
func TestBatchSubscriberWatermillSuite(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		tests.TestPubSub(t, tests.Features{
			ConsumerGroups:                   true,
			ExactlyOnceDelivery:              false,
			GuaranteedOrder:                  false,
			Persistent:                       true,
			NewSubscriberReceivesOldMessages: true,
		}, func(t *testing.T) (message.Publisher, message.Subscriber) {
			return batchPubSub(t, addr, watermill.NewShortUUID())
		}, func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			return batchPubSub(t, addr, group)
		})
	})
}

// A consumer that read entries and died before its acknowledgements were
// sent loses nothing: another consumer of the group claims them, and
// entries acknowledged before are not delivered again.
func TestBatchSubscriberKilledBeforeAcks(t *testing.T) {
	testenv.EachRedis(t, testBatchSubscriberKilledBeforeAcks)
}

func testBatchSubscriberKilledBeforeAcks(t *testing.T, addr string) {
	ctx := context.Background()
	client := goRedis(t, addr)
	topic := "killed." + testenv.Suffix()
	t.Cleanup(func() { client.Del(context.Background(), topic) })
	pub, err := redisstream.NewPublisher(redisstream.PublisherConfig{Client: goRedis(t, addr)}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	newSub := func(name string) *stream.BatchSubscriber {
		s, err := stream.NewBatchSubscriber(stream.BatchSubscriberConfig{
			Client: client, ConsumerGroup: "g", Consumer: name, BlockTime: 50 * time.Millisecond,
			ClaimIdle: 300 * time.Millisecond, ClaimInterval: 100 * time.Millisecond, AckEvery: time.Hour, ReadCount: 1000,
			DrainTimeout: 100 * time.Millisecond,
		}, watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const n = 50
	for i := 0; i < n; i++ {
		if err := pub.Publish(topic, message.NewMessage(watermill.NewShortUUID(), []byte{byte(i)})); err != nil {
			t.Fatal(err)
		}
	}
	// The first consumer takes everything, acknowledges 20 (held back by
	// AckEvery, never sent), and dies: no Close, nothing flushed.
	first := newSub("first")
	msgs, err := first.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		m := <-msgs
		if i < 20 {
			m.Ack()
		}
	}
	// The second claims every one of them once the first is idle long enough.
	second := newSub("second")
	defer second.Close()
	msgs2, err := second.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for len(seen) < n {
		select {
		case m := <-msgs2:
			seen[m.UUID] = true
			m.Ack()
		case <-deadline:
			t.Fatalf("claimed %d of %d entries", len(seen), n)
		}
	}
	// Acknowledged (and sent) by the second: nothing is pending any more.
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if p, err := client.XPending(ctx, topic, "g").Result(); err != nil || p.Count != 0 {
		t.Fatalf("pending after the second consumer acknowledged: %+v %v", p, err)
	}
}
