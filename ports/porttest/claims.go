package porttest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// IdempotencyClaimsContract runs the ports.IdempotencyClaims suite.
// newClaims gives the claims under test; keys are of this run only, since
// claims on a shared server outlive a test.
func IdempotencyClaimsContract(t *testing.T, newClaims func(t *testing.T) ports.IdempotencyClaims) {
	ctx := context.Background()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	key := func(name string) string { return "claims-" + run + "-" + name }
	claim := func(t *testing.T, c ports.IdempotencyClaims, key, fp string, want error, wantResult string) {
		t.Helper()
		got, err := c.Claim(ctx, key, fp)
		if !errors.Is(err, want) || (err == nil) != (want == nil) || got != wantResult {
			t.Fatalf("Claim(%s, %s) = %q, %v; want %q, %v", key, fp, got, err, wantResult, want)
		}
	}

	t.Run("a first claim is in progress until completed, then answers its result", func(t *testing.T) {
		c, k := newClaims(t), key("first")
		claim(t, c, k, "fp-a", nil, "")
		claim(t, c, k, "fp-a", domain.ErrIdempotencyKeyInUse, "")
		claim(t, c, k, "fp-b", domain.ErrIdempotencyKeyReused, "")
		must(t, c.Complete(ctx, k, "fp-a", "result-1"))
		claim(t, c, k, "fp-a", nil, "result-1")
		claim(t, c, k, "fp-a", nil, "result-1")
		claim(t, c, k, "fp-b", domain.ErrIdempotencyKeyReused, "")
	})

	t.Run("a released claim can be claimed again", func(t *testing.T) {
		c, k := newClaims(t), key("released")
		claim(t, c, k, "fp-a", nil, "")
		must(t, c.Release(ctx, k))
		claim(t, c, k, "fp-b", nil, "") // a retry may even be another request
		claim(t, c, k, "fp-b", domain.ErrIdempotencyKeyInUse, "")
		must(t, c.Complete(ctx, k, "fp-b", "result-2"))
		claim(t, c, k, "fp-b", nil, "result-2")
	})

	t.Run("keys are independent", func(t *testing.T) {
		c := newClaims(t)
		claim(t, c, key("one"), "fp", nil, "")
		claim(t, c, key("two"), "fp", nil, "")
		must(t, c.Complete(ctx, key("one"), "fp", "one"))
		claim(t, c, key("two"), "fp", domain.ErrIdempotencyKeyInUse, "")
		claim(t, c, key("one"), "fp", nil, "one")
	})

	t.Run("of concurrent first claims, one wins", func(t *testing.T) {
		c, k := newClaims(t), key("race")
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = c.Claim(ctx, k, "fp") })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, domain.ErrIdempotencyKeyInUse):
				t.Fatalf("a losing claim: %v, want %v", err, domain.ErrIdempotencyKeyInUse)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent claims won, want 1", won, n)
		}
	})
}
