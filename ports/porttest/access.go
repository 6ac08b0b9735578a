package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// ApplicationAccessContract runs the ports.ApplicationAccess suite.
// newPair gives two api instances' views of one empty keeper (the same
// value twice where there is one process): what one stores, the other
// must find within a network hop.
func ApplicationAccessContract(t *testing.T, newPair func(t *testing.T) (a, b ports.ApplicationAccess)) {
	ctx := context.Background()
	_, h1 := domain.NewSecret()
	_, h2 := domain.NewSecret()
	until := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	open := domain.AppAccess{Mode: domain.AccessOpen, Current: h1}
	protected := domain.AppAccess{Mode: domain.AccessProtected, Current: h2, Previous: h1, PreviousUntil: until}

	get := func(t *testing.T, k ports.ApplicationAccess, token domain.Token) (domain.AppAccess, bool) {
		t.Helper()
		v, found, err := k.Access(ctx, token)
		must(t, err)
		return v, found
	}
	same := func(a, b domain.AppAccess) bool {
		return a.Mode == b.Mode && a.Current == b.Current && a.Previous == b.Previous && a.PreviousUntil.Equal(b.PreviousUntil)
	}

	t.Run("nothing is found until stored, then exactly what was stored", func(t *testing.T) {
		a, _ := newPair(t)
		token := domain.NewToken()
		if v, found := get(t, a, token); found {
			t.Fatalf("found %+v for a token never stored", v)
		}
		for _, want := range []domain.AppAccess{open, protected, domain.OpenAccess()} {
			must(t, a.Store(ctx, token, want))
			if v, found := get(t, a, token); !found || !same(v, want) {
				t.Fatalf("after Store(%+v): %+v %v", want, v, found)
			}
		}
		if _, found := get(t, a, domain.NewToken()); found {
			t.Fatal("another token found something")
		}
	})

	t.Run("Fill keeps a load only where nothing is kept", func(t *testing.T) {
		a, _ := newPair(t)
		token := domain.NewToken()
		must(t, a.Fill(ctx, token, open))
		if v, found := get(t, a, token); !found || !same(v, open) {
			t.Fatalf("after Fill: %+v %v", v, found)
		}
		must(t, a.Store(ctx, token, protected))
		must(t, a.Fill(ctx, token, open)) // an older load, finishing after the change
		if v, _ := get(t, a, token); !same(v, protected) {
			t.Fatalf("a Fill replaced a stored change: %+v", v)
		}
	})

	t.Run("Forget drops what is kept", func(t *testing.T) {
		a, _ := newPair(t)
		token := domain.NewToken()
		must(t, a.Store(ctx, token, protected))
		get(t, a, token)
		must(t, a.Forget(ctx, token))
		if v, found := get(t, a, token); found {
			t.Fatalf("found %+v after Forget", v)
		}
	})

	t.Run("a change stored by one instance is found by the other", func(t *testing.T) {
		a, b := newPair(t)
		token := domain.NewToken()
		must(t, a.Store(ctx, token, open))
		for range 2 { // the second lookup is served from b's memory, where it caches
			if v, found := get(t, b, token); !found || !same(v, open) {
				t.Fatalf("b before the change: %+v %v", v, found)
			}
		}
		must(t, a.Store(ctx, token, protected))
		// The invalidation travels one network hop to the other instance.
		deadline := time.Now().Add(2 * time.Second)
		for v, _ := get(t, b, token); !same(v, protected); v, _ = get(t, b, token) {
			if time.Now().After(deadline) {
				t.Fatalf("b still finds %+v after a's change", v)
			}
			time.Sleep(time.Millisecond)
		}
	})
}
