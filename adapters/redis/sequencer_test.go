package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/rueidis"

	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func client(t *testing.T) rueidis.Client {
	t.Helper()
	addr := testenv.RedisAddr(t)
	c, err := redisadapter.Connect(context.Background(), addr, 3, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestSequencerContract(t *testing.T) {
	c := client(t)
	porttest.SequencerContract(t, func(t *testing.T, seeds ports.SequenceSeeds) ports.Sequencer {
		return redisadapter.NewSequencer(c, seeds)
	})
}

// Redis restarted empty: the sequences come back from the store, and no
// number that the store holds is handed out again.
func TestSequencerReseedsAfterDataLoss(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	seeds := porttest.NewSeeds()
	seq := redisadapter.NewSequencer(c, seeds)
	tok := domain.NewToken()
	if err := seq.RegisterApplication(ctx, tok); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, _ = seq.NextChatNumber(ctx, tok)
	}
	for i := 0; i < 4; i++ {
		_, _ = seq.NextMessageNumber(ctx, tok, 2)
	}
	// What the worker persisted before the loss.
	seeds.Chats[tok] = 3
	seeds.Messages[domain.ChatKey{Token: tok, Number: 2}] = [2]int64{4, 0}

	keys, err := c.Do(ctx, c.B().Keys().Pattern("chat:{"+string(tok)+"}*").Build()).AsStrSlice()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys of the application: %v %v", keys, err)
	}
	if err := c.Do(ctx, c.B().Del().Key(keys...).Build()).Error(); err != nil {
		t.Fatal(err)
	}

	if n, err := seq.NextMessageNumber(ctx, tok, 2); err != nil || n != 5 {
		t.Fatalf("message after loss = %d, %v; want 5", n, err)
	}
	if n, err := seq.NextMessageNumber(ctx, tok, 3); err != nil || n != 1 {
		t.Fatalf("first message of an old empty chat after loss = %d, %v; want 1", n, err)
	}
	if n, err := seq.NextChatNumber(ctx, tok); err != nil || n != 4 {
		t.Fatalf("chat after loss = %d, %v; want 4", n, err)
	}
	if n, err := seq.NextMessageNumber(ctx, tok, 4); err != nil || n != 1 {
		t.Fatalf("first message of a new chat = %d, %v; want 1", n, err)
	}
	if _, err := seq.NextMessageNumber(ctx, tok, 5); err == nil {
		t.Fatal("chat 5 was never allocated, yet a message number was handed out")
	}
}

// Redis down: allocation fails with an error that maps to 503.
func TestSequencerUnavailable(t *testing.T) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{testenv.RedisAddr(t)}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	seq := redisadapter.NewSequencer(c, porttest.NewSeeds())
	c.Close()
	_, err = seq.NextChatNumber(context.Background(), domain.NewToken())
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
}
