package streamlog_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/adapters/streamlog"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports/porttest"
)

func goRedis(t *testing.T, addr string) goredis.UniversalClient {
	t.Helper()
	c := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: strings.Split(addr, ","), Protocol: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

// ownTopics are partitions of the test's own, removed when it ends.
func ownTopics(t *testing.T, client goredis.UniversalClient, prefix string) eventwire.Topics {
	topics := eventwire.Topics{Prefix: prefix + "." + testenv.Suffix(), Partitions: 3}
	t.Cleanup(func() { client.Del(context.Background(), topics.All()...) })
	return topics
}

// appender appends numbered events to their partitions in the wire
// format, as the sequencer's script does.
func appender(t *testing.T, client goredis.UniversalClient, topics eventwire.Topics) func([]domain.Event) {
	return func(events []domain.Event) {
		t.Helper()
		for _, e := range events {
			msg, err := eventwire.Encode(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			values, err := redisstream.DefaultMarshallerUnmarshaller{}.Marshal("", msg)
			if err != nil {
				t.Fatal(err)
			}
			token, _, _, _, _ := domain.Subject(e)
			if err := client.XAdd(context.Background(), &goredis.XAddArgs{Stream: topics.For(token), Values: values}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestLiveLogContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		client := goRedis(t, addr)
		porttest.LiveLogContract(t, func(t *testing.T) porttest.LiveLogSetup {
			topics := ownTopics(t, client, "live")
			return porttest.LiveLogSetup{Log: streamlog.NewLiveLog(client, topics), Append: appender(t, client, topics),
				Drop: func() {
					for _, topic := range topics.All() {
						client.XTrimMaxLen(context.Background(), topic, 0)
					}
				}}
		})
	})
}

// Beyond the contract: a stream trimmed up to a position reads on from its
// first entry left; a stream lost (Redis restarted empty) is gone; and a
// tail started again (after an error) goes on where the last stopped, not
// missing what was appended in between.
func TestLiveLog(t *testing.T) { testenv.EachRedis(t, testLiveLog) }

func testLiveLog(t *testing.T, addr string) {
	ctx := context.Background()
	client := goRedis(t, addr)
	topics := ownTopics(t, client, "live")
	log := streamlog.NewLiveLog(client, topics)
	tok := domain.NewToken()
	chat := domain.ChatKey{Token: tok, Number: 1}
	appendEvents := appender(t, client, topics)
	tailed := make(chan domain.LiveEvent, 100)
	tailCtx, stopTail := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- log.Tail(tailCtx, func(e domain.LiveEvent) { tailed <- e }) }()
	next := func() domain.LiveEvent {
		t.Helper()
		select {
		case e := <-tailed:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("nothing tailed")
		}
		return domain.LiveEvent{}
	}
	// Until the tail has found where each partition ends, what is appended
	// may come before it: append until one is tailed.
	var first domain.LiveEvent
	for n := int64(1); first.Position == ""; n++ {
		appendEvents([]domain.Event{domain.MessageCreated{Token: tok, Chat: 1, Number: n, Body: "m"}})
		select {
		case first = <-tailed:
		case <-time.After(20 * time.Millisecond):
		}
	}
	appendEvents([]domain.Event{domain.MessageCreated{Token: tok, Chat: 1, Number: 100, Body: "m"}, domain.MessageCreated{Token: tok, Chat: 1, Number: 101, Body: "m"}})
	var last domain.LiveEvent
	for last.Event == nil || last.Event.(domain.MessageCreated).Number != 101 {
		last = next()
	}
	// Trimmed past a position: gone; from the first entry left, nothing lost.
	topic := topics.For(tok)
	if err := client.XTrimMinID(ctx, topic, last.Position).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Since(ctx, chat, first.Position); !errors.Is(err, domain.ErrPositionGone) {
		t.Fatalf("after the trim: %v", err)
	}
	if back, err := log.Since(ctx, chat, last.Position); err != nil || len(back) != 0 {
		t.Fatalf("after the trim, from the first entry left: %+v %v", back, err)
	}
	// A position beyond what the stream ever gave (a Redis that lost its data numbers lower): gone.
	if _, err := log.Since(ctx, chat, eventwire.NextID(last.Position)); !errors.Is(err, domain.ErrPositionGone) {
		t.Fatalf("a position the stream never gave: %v", err)
	}
	stopTail()
	if err := <-stopped; err != nil {
		t.Fatalf("tail: %v", err)
	}
	appendEvents([]domain.Event{domain.MessageCreated{Token: tok, Chat: 1, Number: 102, Body: "while no tail ran"}})
	tailCtx, stopTail = context.WithCancel(ctx)
	defer stopTail()
	go func() { _ = log.Tail(tailCtx, func(e domain.LiveEvent) { tailed <- e }) }()
	if e := next(); e.Event.(domain.MessageCreated).Body != "while no tail ran" {
		t.Fatalf("the restarted tail read %+v", e)
	}
	client.Del(ctx, topic)
	if _, err := log.Since(ctx, chat, last.Position); !errors.Is(err, domain.ErrPositionGone) {
		t.Fatalf("after the stream was lost: %v", err)
	}
}
