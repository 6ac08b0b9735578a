package httpapi

import (
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// AppLimits are the per-application budgets: requests per second and burst,
// one budget for writes (POST, PATCH, PUT) and one for reads. A rate of 0
// turns that budget off (and costs nothing).
type AppLimits struct {
	WriteRate, WriteBurst int
	ReadRate, ReadBurst   int
}

// limitApp counts the request against its application's budget, shared by
// every api instance. Every answer of a limited route says where the budget
// stands, in the IETF draft's three headers: RateLimit-Limit (the burst),
// RateLimit-Remaining, RateLimit-Reset (seconds until the burst is whole
// again). Beyond it: 429 rate_limited with Retry-After. If the limiter
// cannot answer (Redis down), the request goes through: a limit is not
// worth an outage of reads.
func limitApp(limiter ports.RateLimiter, kind string, rate, burst int, log *zap.Logger) fiber.Handler {
	if limiter == nil || rate <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	burst = max(burst, 1)
	return func(c *fiber.Ctx) error {
		token, err := domain.ParseToken(c.Params("token"))
		if err != nil {
			return c.Next() // not an application: the handler answers 404
		}
		lim, err := limiter.Allow(c.UserContext(), token, kind, rate, burst)
		if err != nil {
			log.Warn("rate limiter unavailable; letting the request through", zap.Error(err))
			return c.Next()
		}
		c.Set("RateLimit-Limit", strconv.Itoa(burst))
		c.Set("RateLimit-Remaining", strconv.Itoa(max(lim.Remaining, 0)))
		c.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(lim.ResetAfter)))
		if !lim.Allowed {
			return &apiError{status: fiber.StatusTooManyRequests, code: "rate_limited",
				message: "this application is over its " + kind + " rate limit; retry later", retryAfter: ceilSeconds(lim.RetryAfter)}
		}
		return c.Next()
	}
}

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
