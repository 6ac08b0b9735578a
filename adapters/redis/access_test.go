package redis_test

import (
	"testing"

	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// Two api instances, each with its own caching client.
func TestApplicationAccessContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		porttest.ApplicationAccessContract(t, func(t *testing.T) (ports.ApplicationAccess, ports.ApplicationAccess) {
			return redisadapter.NewApplicationAccess(cachingClient(t, addr, 1<<20)),
				redisadapter.NewApplicationAccess(cachingClient(t, addr, 1<<20))
		})
	})
}

func TestMemberCacheContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		porttest.MemberCacheContract(t, func(t *testing.T) (ports.MemberCache, ports.MemberCache) {
			return redisadapter.NewMemberCache(cachingClient(t, addr, 1<<20)), redisadapter.NewMemberCache(cachingClient(t, addr, 1<<20))
		})
	})
}
