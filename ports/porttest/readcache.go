package porttest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// ReadCacheContract runs the ports.ReadCache suite. newCache gives an empty
// cache; invalidations made through it must be seen by its own lookups when
// Invalidate returns.
func ReadCacheContract(t *testing.T, newCache func(t *testing.T) ports.ReadCache) {
	ctx := context.Background()
	// Tokens of this run only: a cache on a shared server outlives a test.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	a := domain.ChatKey{Token: domain.Token("cache-a-" + run), Number: 1}
	b := domain.ChatKey{Token: a.Token, Number: 2}
	other := domain.ChatKey{Token: domain.Token("cache-b-" + run), Number: 1}

	lookup := func(t *testing.T, c ports.ReadCache, chat domain.ChatKey, key string) (string, string, bool) {
		t.Helper()
		v, slot, hit := c.Lookup(ctx, chat, key)
		return string(v), slot, hit
	}

	t.Run("a stored entry is found under its chat and key only", func(t *testing.T) {
		c := newCache(t)
		_, slot, hit := lookup(t, c, a, "m1")
		if hit || slot == "" {
			t.Fatalf("empty cache: hit %v, slot %q", hit, slot)
		}
		c.Store(ctx, slot, []byte("one"))
		if v, _, hit := lookup(t, c, a, "m1"); !hit || v != "one" {
			t.Fatalf("after Store: %q %v", v, hit)
		}
		for _, k := range []struct {
			chat domain.ChatKey
			key  string
		}{{a, "m2"}, {b, "m1"}, {other, "m1"}} {
			if v, _, hit := lookup(t, c, k.chat, k.key); hit {
				t.Fatalf("%+v %s found %q", k.chat, k.key, v)
			}
		}
	})

	t.Run("invalidating a chat drops its entries and no other chat's", func(t *testing.T) {
		c := newCache(t)
		for _, chat := range []domain.ChatKey{a, b, other} {
			_, slot, _ := lookup(t, c, chat, "k")
			c.Store(ctx, slot, []byte("v"))
		}
		if err := c.Invalidate(ctx, []domain.ChatKey{a}); err != nil {
			t.Fatal(err)
		}
		if _, _, hit := lookup(t, c, a, "k"); hit {
			t.Fatal("an invalidated chat's entry was found")
		}
		for _, chat := range []domain.ChatKey{b, other} {
			if _, _, hit := lookup(t, c, chat, "k"); !hit {
				t.Fatalf("%+v lost its entry when another chat was invalidated", chat)
			}
		}
	})

	t.Run("what a read stores after an invalidation it began before is never found", func(t *testing.T) {
		c := newCache(t)
		_, slot, _ := lookup(t, c, a, "page")
		// The change is committed and invalidated while the read is at the
		// store; the read then stores what it read before the change.
		if err := c.Invalidate(ctx, []domain.ChatKey{a}); err != nil {
			t.Fatal(err)
		}
		c.Store(ctx, slot, []byte("stale"))
		if v, _, hit := lookup(t, c, a, "page"); hit {
			t.Fatalf("the stale entry was found: %q", v)
		}
		_, slot, _ = lookup(t, c, a, "page")
		c.Store(ctx, slot, []byte("fresh"))
		if v, _, hit := lookup(t, c, a, "page"); !hit || v != "fresh" {
			t.Fatalf("after the fresh store: %q %v", v, hit)
		}
	})

	t.Run("invalidating many chats at once, and none", func(t *testing.T) {
		c := newCache(t)
		if err := c.Invalidate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		var chats []domain.ChatKey
		for i := int64(1); i <= 300; i++ {
			chat := domain.ChatKey{Token: domain.Token("cache-many-" + run), Number: i}
			chats = append(chats, chat)
			_, slot, _ := lookup(t, c, chat, "k")
			c.Store(ctx, slot, []byte("v"))
		}
		if err := c.Invalidate(ctx, chats); err != nil {
			t.Fatal(err)
		}
		for _, chat := range chats {
			if _, _, hit := lookup(t, c, chat, "k"); hit {
				t.Fatalf("%+v kept its entry", chat)
			}
		}
	})
}
