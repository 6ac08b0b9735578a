package redis_test

import (
	"context"
	"errors"
	"testing"

	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/internal/testenv"
)

// A client answers ErrNotStarted until it is started, then Redis, and
// building it dials nothing (an address nothing listens on is fine until Start).
func TestClientConnectsWhenStarted(t *testing.T) {
	ctx := context.Background()
	c := redisadapter.NewClient(testenv.RedisAddr(t))
	if err := redisadapter.Ping(ctx, c); !errors.Is(err, redisadapter.ErrNotStarted) {
		t.Fatalf("before Start: %v, want ErrNotStarted", err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := redisadapter.Ping(ctx, c); err != nil {
		t.Fatalf("after Start: %v", err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	nowhere := redisadapter.NewCachingClient("127.0.0.1:1", 1<<20)
	if err := nowhere.Start(ctx); err == nil {
		t.Fatal("a client started against nothing connected")
	}
	if err := redisadapter.Ping(ctx, nowhere); !errors.Is(err, redisadapter.ErrNotStarted) {
		t.Fatalf("after a failed Start: %v, want ErrNotStarted", err)
	}
}
