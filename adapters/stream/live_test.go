package stream_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"

	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// The live log tails every partition from its end and reads a chat's part
// back after a position, in the order events were appended; a position the
// trimmer passed is gone.
func TestLiveLog(t *testing.T) { testenv.EachRedis(t, testLiveLog) }

func testLiveLog(t *testing.T, addr string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := goRedis(t, addr)
	topics := stream.Topics{Prefix: "live." + testenv.Suffix(), Partitions: 3}
	defer func() {
		for _, topic := range topics.All() {
			client.Del(context.Background(), topic)
		}
	}()
	wpub, err := redisstream.NewPublisher(redisstream.PublisherConfig{Client: client}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	pub := eventPub{wpub, topics}
	log := stream.NewLiveLog(client, topics)
	tok, other := domain.NewToken(), domain.NewToken()
	publish := func(e domain.Event) {
		t.Helper()
		if err := pub.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	publish(domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "before the tail"})

	var mu sync.Mutex
	var tailed []domain.LiveEvent
	tailing := make(chan error, 1)
	go func() {
		tailing <- log.Tail(ctx, func(e domain.LiveEvent) { mu.Lock(); tailed = append(tailed, e); mu.Unlock() })
	}()
	time.Sleep(300 * time.Millisecond) // the tail has found each partition's end
	publish(domain.ChatCreated{Token: tok, Number: 2})
	publish(domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "two"})
	publish(domain.MessageEdited{Token: tok, Chat: 1, Number: 2, Body: "two, edited", Version: 3})
	publish(domain.MessageCreated{Token: other, Chat: 1, Number: 1, Body: "elsewhere"})
	publish(domain.MessageDeleted{Token: tok, Chat: 1, Number: 1, Version: 4})
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(tailed)
		mu.Unlock()
		if n >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	var mine []domain.LiveEvent
	for _, e := range tailed {
		if e.Chat() == (domain.ChatKey{Token: tok, Number: 1}) {
			mine = append(mine, e)
		}
	}
	mu.Unlock()
	if len(tailed) != 4 || len(mine) != 3 {
		t.Fatalf("tailed %d events (%d of the chat), want 4 (3): the chat creation is not a message event, the first came before the tail", len(tailed), len(mine))
	}
	if c, ok := mine[0].Event.(domain.MessageCreated); !ok || c.Body != "two" {
		t.Fatalf("first tailed %+v", mine[0])
	}
	if _, ok := mine[2].Event.(domain.MessageDeleted); !ok || !log.Before(mine[0].Position, mine[1].Position) || !log.Before(mine[1].Position, mine[2].Position) {
		t.Fatalf("out of order: %+v", mine)
	}

	// Read back after the first tailed event: the edit and the delete.
	back, err := log.Since(ctx, domain.ChatKey{Token: tok, Number: 1}, mine[0].Position)
	if err != nil || len(back) != 2 || back[0].Position != mine[1].Position || back[1].Position != mine[2].Position {
		t.Fatalf("since %s: %+v %v", mine[0].Position, back, err)
	}
	for _, p := range []string{mine[0].Position, "1-0"} {
		if !log.Valid(p) {
			t.Fatalf("%q is not valid", p)
		}
	}
	for _, p := range []string{"", "x", "1", "1-", "-1", "1-2-3", "99999999999999999999999-0"} {
		if log.Valid(p) {
			t.Fatalf("%q is valid", p)
		}
	}
	// Trimmed past a position: gone. A partition that does not exist: gone.
	topic := topics.For(tok)
	if err := client.XTrimMinID(ctx, topic, mine[2].Position).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Since(ctx, domain.ChatKey{Token: tok, Number: 1}, mine[0].Position); !errors.Is(err, domain.ErrPositionGone) {
		t.Fatalf("after the trim: %v", err)
	}
	if back, err := log.Since(ctx, domain.ChatKey{Token: tok, Number: 1}, mine[2].Position); err != nil || len(back) != 0 {
		t.Fatalf("after the trim, from the first entry left: %+v %v", back, err)
	}
	client.Del(ctx, topic)
	if _, err := log.Since(ctx, domain.ChatKey{Token: tok, Number: 1}, mine[2].Position); !errors.Is(err, domain.ErrPositionGone) {
		t.Fatalf("after the stream was lost: %v", err)
	}
	cancel()
	if err := <-tailing; err != nil {
		t.Fatalf("tail: %v", err)
	}
	// A tail started again (after an error) goes on where the last stopped:
	// what was appended in between is not missed.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	pub2 := eventPub{wpub, topics}
	if err := pub2.Publish(ctx2, domain.MessageCreated{Token: other, Chat: 1, Number: 2, Body: "while no tail ran"}); err != nil {
		t.Fatal(err)
	}
	again := make(chan domain.LiveEvent, 10)
	go func() { _ = log.Tail(ctx2, func(e domain.LiveEvent) { again <- e }) }()
	select {
	case e := <-again:
		if c, ok := e.Event.(domain.MessageCreated); !ok || c.Body != "while no tail ran" {
			t.Fatalf("the restarted tail read %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event appended between two tails was missed")
	}
}
