package webhook

import (
	"time"

	"github.com/cenkalti/backoff/v5"
)

// The retry schedule: the first retries within seconds (a receiver
// restarting), then doubling, with jitter so that the retries of many
// deliveries that failed together do not come back together, capped at
// MaxInterval, for at least RetryFor; then the delivery has failed.
const (
	FirstRetry  = 5 * time.Second
	MaxInterval = 4 * time.Hour
	RetryFor    = 25 * time.Hour
	jitter      = 0.3 // each wait is within ±30 % of its nominal value
)

// Schedule is a retry schedule: the first wait, the longest, and how long
// a delivery is tried in all. DefaultSchedule is the service's; tests and
// operators shorten it (CHAT_WEBHOOK_FIRST_RETRY, CHAT_WEBHOOK_RETRY_FOR).
type Schedule struct {
	First, Max, For time.Duration
}

// DefaultSchedule: 5 s first, doubling to 4 h, for 25 h.
var DefaultSchedule = Schedule{First: FirstRetry, Max: MaxInterval, For: RetryFor}

// NextRetry is DefaultSchedule's Next.
func NextRetry(attempt int, first, now time.Time) (time.Duration, bool) {
	return DefaultSchedule.Next(attempt, first, now)
}

// Next is how long to wait after the failed attempt number attempt
// (1 for the first), or false once the attempts so far (first attempt at
// first) have lasted For: the delivery has failed. The schedule is
// backoff's exponential one, replayed to the attempt: a delivery's state
// is its attempt count, kept with it, not a backoff in memory.
func (s Schedule) Next(attempt int, first, now time.Time) (time.Duration, bool) {
	if now.Sub(first) >= s.For {
		return 0, false
	}
	b := &backoff.ExponentialBackOff{
		InitialInterval:     s.First,
		RandomizationFactor: jitter,
		Multiplier:          2,
		MaxInterval:         s.Max,
	}
	b.Reset()
	wait := b.NextBackOff()
	for i := 1; i < attempt && i < 64; i++ {
		wait = b.NextBackOff()
	}
	return wait, true
}
