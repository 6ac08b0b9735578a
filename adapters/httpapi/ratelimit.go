package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
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
// turns that budget off (and costs nothing). The User ones are each user's
// own budgets in the application, counted besides the application's for a
// request with a user token, so that one user cannot spend the
// application's budget.
type AppLimits struct {
	WriteRate, WriteBurst         int
	ReadRate, ReadBurst           int
	UserWriteRate, UserWriteBurst int
	UserReadRate, UserReadBurst   int
	// Typing is each user's budget of typing notices (its own: typing
	// spends nothing of the write budgets).
	TypingRate, TypingBurst int
}

// budget is one rate and burst; a rate of 0 is none.
type budget struct{ rate, burst int }

// limitApp counts the request against its application's budget, and a
// user's request against the user's too, each shared by every api
// instance. Every answer of a limited route says where the tighter budget
// stands, in the IETF draft's three headers: RateLimit-Limit (the burst),
// RateLimit-Remaining, RateLimit-Reset (seconds until the burst is whole
// again). Beyond either: 429 rate_limited with Retry-After. If the limiter
// cannot answer (Redis down), the request goes through: a limit is not
// worth an outage of reads.
func limitApp(limiter ports.RateLimiter, kind string, app, user budget, log *zap.Logger) fiber.Handler {
	if limiter == nil || (app.rate <= 0 && user.rate <= 0) {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	app.burst, user.burst = max(app.burst, 1), max(user.burst, 1)
	return func(c *fiber.Ctx) error {
		token, err := domain.ParseToken(c.Params("token"))
		if err != nil {
			return c.Next() // not an application: the handler answers 404
		}
		type counted struct {
			lim   ports.RateLimit
			burst int
			who   string
		}
		var tightest *counted
		count := func(b budget, scope, who string) bool {
			if b.rate <= 0 {
				return true
			}
			lim, err := limiter.Allow(c.UserContext(), token, scope, b.rate, b.burst)
			if err != nil {
				log.Warn("rate limiter unavailable; letting the request through", zap.Error(err))
				return true
			}
			if tightest == nil || !lim.Allowed || (tightest.lim.Allowed && lim.Remaining < tightest.lim.Remaining) {
				tightest = &counted{lim, b.burst, who}
			}
			return lim.Allowed
		}
		ok := count(app, kind, "this application")
		if caller, err := callerOf(c); ok && err == nil && !caller.IsApp() {
			count(user, kind+":user:"+userScope(caller.User), "this user")
		}
		if tightest == nil {
			return c.Next()
		}
		lim := tightest.lim
		c.Set("RateLimit-Limit", strconv.Itoa(tightest.burst))
		c.Set("RateLimit-Remaining", strconv.Itoa(max(lim.Remaining, 0)))
		c.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(lim.ResetAfter)))
		if !lim.Allowed {
			return &apiError{status: fiber.StatusTooManyRequests, code: "rate_limited",
				message: tightest.who + " is over its " + kind + " rate limit; retry later", retryAfter: ceilSeconds(lim.RetryAfter)}
		}
		return c.Next()
	}
}

// userScope names a user in a key (a rate limit's, an idempotency key's):
// fixed length, any characters of the user id hashed away.
func userScope(user domain.UserID) string {
	sum := sha256.Sum256([]byte(user))
	return hex.EncodeToString(sum[:12])
}

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
