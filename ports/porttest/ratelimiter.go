package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// RateLimiterContract runs the ports.RateLimiter suite (GCRA: a budget of
// burst requests, refilled at rate a second). newLimiter gives a limiter
// and pass, which lets d go by for it: a clock moved by hand, or a wait
// for a server that reads its own. An answer's durations may be short of
// the exact ones by the time the calls take, never over them.
func RateLimiterContract(t *testing.T, newLimiter func(t *testing.T) (ports.RateLimiter, func(d time.Duration))) {
	ctx := context.Background()
	const rate, burst, interval = 1, 3, time.Second
	allow := func(t *testing.T, l ports.RateLimiter, tok domain.Token, kind string) ports.RateLimit {
		t.Helper()
		r, err := l.Allow(ctx, tok, kind, rate, burst)
		must(t, err)
		return r
	}
	// exhaust spends the whole burst, checking each answer.
	exhaust := func(t *testing.T, l ports.RateLimiter, tok domain.Token, kind string) {
		t.Helper()
		for k := 1; k <= burst; k++ {
			r := allow(t, l, tok, kind)
			if !r.Allowed || r.Remaining != burst-k || r.RetryAfter != 0 {
				t.Fatalf("request %d of a burst of %d: %+v, want allowed with %d remaining", k, burst, r, burst-k)
			}
			within(t, "reset after", r.ResetAfter, time.Duration(k)*interval)
		}
	}

	t.Run("allowed within the burst, denied beyond it with when to retry", func(t *testing.T) {
		l, _ := newLimiter(t)
		tok := domain.NewToken()
		exhaust(t, l, tok, "write")
		r := allow(t, l, tok, "write")
		if r.Allowed || r.Remaining != 0 {
			t.Fatalf("beyond the burst: %+v, want denied with nothing remaining", r)
		}
		within(t, "retry after", r.RetryAfter, interval)
		within(t, "reset after", r.ResetAfter, burst*interval)
		// A denied request spends nothing.
		again := allow(t, l, tok, "write")
		if again.Allowed || again.RetryAfter > r.RetryAfter || again.ResetAfter > r.ResetAfter {
			t.Fatalf("denied again: %+v after %+v, want denied and no later", again, r)
		}
	})

	t.Run("kinds and applications have budgets of their own", func(t *testing.T) {
		l, _ := newLimiter(t)
		tok := domain.NewToken()
		exhaust(t, l, tok, "write")
		if r := allow(t, l, tok, "read"); !r.Allowed || r.Remaining != burst-1 {
			t.Fatalf("the application's reads once its writes are spent: %+v, want a full budget", r)
		}
		if r := allow(t, l, domain.NewToken(), "write"); !r.Allowed || r.Remaining != burst-1 {
			t.Fatalf("another application's writes: %+v, want a full budget", r)
		}
		if r := allow(t, l, tok, "write"); r.Allowed {
			t.Fatalf("the spent budget: %+v, want denied", r)
		}
	})

	t.Run("the budget refills at the rate", func(t *testing.T) {
		l, pass := newLimiter(t)
		tok := domain.NewToken()
		exhaust(t, l, tok, "write")
		denied := allow(t, l, tok, "write")
		pass(denied.RetryAfter)
		r := allow(t, l, tok, "write")
		if !r.Allowed || r.Remaining != 0 {
			t.Fatalf("once the retry time passed: %+v, want one request allowed and nothing remaining", r)
		}
		if again := allow(t, l, tok, "write"); again.Allowed {
			t.Fatalf("right after: %+v, want denied (one interval refills one request)", again)
		}
		pass(r.ResetAfter)
		if full := allow(t, l, tok, "write"); !full.Allowed || full.Remaining != burst-1 {
			t.Fatalf("once the reset time passed: %+v, want the whole burst back", full)
		}
	})
}

// within checks a duration an answer gives: at most want, and short of it
// by no more than the calls' own time.
func within(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	const slack = 500 * time.Millisecond
	if got > want || got < want-slack {
		t.Fatalf("%s %v, want %v (or up to %v less)", what, got, want, slack)
	}
}
