package redis_test

import (
	"testing"
	"time"

	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// The limiter reads Redis' own clock, so letting time pass is waiting it out.
func TestRateLimiterContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		porttest.RateLimiterContract(t, func(t *testing.T) (ports.RateLimiter, func(time.Duration)) {
			return redisadapter.NewLimiter(cachingClient(t, addr, 0)), time.Sleep
		})
	})
}

func TestIdempotencyClaimsContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		porttest.IdempotencyClaimsContract(t, func(t *testing.T) ports.IdempotencyClaims {
			return redisadapter.NewClaims(cachingClient(t, addr, 0))
		})
	})
}
