package redis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/rueidis"

	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func cachingClient(t *testing.T, addr string, bytes int) rueidis.Client {
	t.Helper()
	c, err := redisadapter.ConnectCaching(addr, bytes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// testTimeout: these tests are about what the cache answers; on a machine
// loaded by every other package's tests (and a cluster client's first
// command, which learns the topology) the production bound of 250 ms, after
// which the cache is skipped for a second, would make hits misses.
const testTimeout = 5 * time.Second

func TestReadCacheContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		porttest.ReadCacheContract(t, func(t *testing.T) ports.ReadCache {
			return redisadapter.NewReadCache(cachingClient(t, addr, 1<<20), time.Minute).WithTimeout(testTimeout)
		})
	})
}

// Two api instances hold an entry in their own memory; a worker (a client
// that caches nothing) invalidates the chat: Redis tells both, and neither
// finds the entry again.
func TestReadCacheInvalidationReachesEveryInstance(t *testing.T) {
	testenv.EachRedis(t, testReadCacheInvalidationReachesEveryInstance)
}

func testReadCacheInvalidationReachesEveryInstance(t *testing.T, addr string) {
	ctx := context.Background()
	api1 := redisadapter.NewReadCache(cachingClient(t, addr, 1<<20), time.Minute).WithTimeout(testTimeout)
	api2 := redisadapter.NewReadCache(cachingClient(t, addr, 1<<20), time.Minute).WithTimeout(testTimeout)
	worker := redisadapter.NewReadCache(cachingClient(t, addr, 0), time.Minute).WithTimeout(testTimeout)
	chat := domain.ChatKey{Token: domain.Token("cache-instances-" + strconv.FormatInt(time.Now().UnixNano(), 36)), Number: 7}

	_, slot, _ := api1.Lookup(ctx, chat, "m1")
	api1.Store(ctx, slot, []byte("old"))
	for _, api := range []*redisadapter.ReadCache{api1, api2} {
		for range 2 { // the second lookup is served from the instance's memory
			if v, _, hit := api.Lookup(ctx, chat, "m1"); !hit || string(v) != "old" {
				t.Fatalf("before the change: %q %v", v, hit)
			}
		}
	}
	if err := worker.Invalidate(ctx, []domain.ChatKey{chat}); err != nil {
		t.Fatal(err)
	}
	// The invalidation message travels one network hop to each instance.
	for _, api := range []*redisadapter.ReadCache{api1, api2} {
		deadline := time.Now().Add(2 * time.Second)
		for {
			if _, _, hit := api.Lookup(ctx, chat, "m1"); !hit {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("an instance still serves the entry of a replaced generation")
			}
			time.Sleep(time.Millisecond)
		}
	}
}
