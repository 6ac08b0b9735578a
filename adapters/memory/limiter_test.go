package memory_test

import (
	"sync"
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// handClock is a clock time passes on only when told to.
type handClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *handClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *handClock) pass(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestRateLimiterContract(t *testing.T) {
	porttest.RateLimiterContract(t, func(t *testing.T) (ports.RateLimiter, func(time.Duration)) {
		clock := &handClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		return memory.NewLimiter(clock), clock.pass
	})
}

func TestNoticesContract(t *testing.T) {
	shared := memory.NewNotices()
	porttest.NoticesContract(t, func(*testing.T) ports.Notices { return shared })
}
