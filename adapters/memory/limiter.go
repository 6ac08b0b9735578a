package memory

import (
	"context"
	"sync"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Limiter implements ports.RateLimiter in process (the embedded profile is
// one process), with the same algorithm as the Redis one (GCRA): per budget,
// the theoretical arrival time of the next request. porttest's
// RateLimiterContract holds both to the same answers.
type Limiter struct {
	mu    sync.Mutex
	tat   map[string]time.Time
	calls int
	clock ports.Clock
}

// NewLimiter counts time by clock (the contract suite lets time pass by hand).
func NewLimiter(clock ports.Clock) *Limiter {
	return &Limiter{tat: map[string]time.Time{}, clock: clock}
}

// Allow counts one request of the application's kind of budget.
func (l *Limiter) Allow(_ context.Context, token domain.Token, kind string, rate, burst int) (ports.RateLimit, error) {
	interval := time.Second / time.Duration(max(rate, 1))
	key := string(token) + ":" + kind
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.calls++; l.calls%4096 == 0 {
		for k, t := range l.tat { // forget budgets that are full again
			if t.Before(now) {
				delete(l.tat, k)
			}
		}
	}
	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	allowAt := tat.Add(interval - time.Duration(burst)*interval)
	if allowAt.After(now) {
		return ports.RateLimit{RetryAfter: allowAt.Sub(now), ResetAfter: tat.Sub(now)}, nil
	}
	next := tat.Add(interval)
	l.tat[key] = next
	return ports.RateLimit{Allowed: true, Remaining: int(now.Sub(next.Add(-time.Duration(burst)*interval)) / interval),
		ResetAfter: next.Sub(now)}, nil
}
