package redis_test

import (
	"testing"

	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// Two api instances, each with its own client; on one Redis and on a cluster.
func TestChatTallyContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		porttest.ChatTallyContract(t, func(t *testing.T, seeds ports.TallySeeds) (ports.ChatTally, ports.ChatTally) {
			return redisadapter.NewTally(cachingClient(t, addr, 1<<20), seeds), redisadapter.NewTally(cachingClient(t, addr, 1<<20), seeds)
		})
	})
}
