package redis

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
)

// ReadCache is ports.ReadCache on Redis with rueidis' server-assisted
// client-side caching: a hit is served from the api's memory without a
// round trip, and Redis tells every api instance when a key it holds
// changed (RESP3 invalidation), so a chat's generation, once replaced by
// a worker, is dropped everywhere within a network hop.
//
// Each chat has a generation key holding a random value; its entries live
// under it. Invalidate writes a new random value: the old entries are
// never looked up again and expire by themselves. Random rather than
// counted, so that a generation key lost (evicted, expired, FLUSHALL)
// and made again can never bring back entries of an earlier one.
//
// Redis down or slow never holds a read up: a lookup waits at most
// lookupTimeout, and after a failure the cache is left alone (reads go to
// the store) for a second. rueidis drops a connection's cached entries when
// the connection breaks, so nothing is served that an invalidation might
// have missed.
type ReadCache struct {
	client  rueidis.Client
	ttl     time.Duration
	timeout time.Duration // lookupTimeout unless WithTimeout
	// skipUntil: unix nanoseconds before which lookups do not try Redis.
	skipUntil atomic.Int64
}

const (
	lookupTimeout = 250 * time.Millisecond
	skipAfterFail = time.Second
)

// generationTTL: how long a chat nobody changes keeps its generation key
// (then a new one starts, costing one refill).
const generationTTL = 24 * time.Hour

// NewReadCache caches entries for ttl. client must have client-side caching
// on for hits to be local (on the api; the worker only invalidates).
func NewReadCache(client rueidis.Client, ttl time.Duration) *ReadCache {
	return &ReadCache{client: client, ttl: ttl, timeout: lookupTimeout}
}

// WithTimeout bounds each lookup and store by d instead of lookupTimeout
// (the contract tests, on a machine loaded by every other test, test what
// the cache answers, not how it gives up on a slow Redis).
func (c *ReadCache) WithTimeout(d time.Duration) *ReadCache {
	c.timeout = d
	return c
}

func generationKey(c domain.ChatKey) string {
	return "chat:{" + string(c.Token) + "}:reads:" + strconv.FormatInt(c.Number, 10)
}

func newGeneration() string { return strconv.FormatUint(rand.Uint64(), 36) }

func (c *ReadCache) Lookup(ctx context.Context, chat domain.ChatKey, key string) ([]byte, string, bool) {
	if time.Now().UnixNano() < c.skipUntil.Load() {
		return nil, "", false
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	v, slot, hit, err := c.lookup(ctx, chat, key)
	if err != nil {
		c.skipUntil.Store(time.Now().Add(skipAfterFail).UnixNano())
		return nil, "", false
	}
	return v, slot, hit
}

func (c *ReadCache) lookup(ctx context.Context, chat domain.ChatKey, key string) ([]byte, string, bool, error) {
	gk := generationKey(chat)
	gen, err := c.client.DoCache(ctx, c.client.B().Get().Key(gk).Cache(), c.ttl).ToString()
	if rueidis.IsRedisNil(err) {
		// The chat's first read (or its generation was lost): start one,
		// unless another api just did.
		fresh := newGeneration()
		old, err := c.client.Do(ctx, c.client.B().Set().Key(gk).Value(fresh).Nx().Get().
			Ex(generationTTL).Build()).ToString()
		switch {
		case rueidis.IsRedisNil(err):
			gen = fresh
		case err != nil:
			return nil, "", false, err
		default:
			gen = old
		}
	} else if err != nil {
		return nil, "", false, err
	}
	slot := gk + ":" + gen + ":" + key
	v, err := c.client.DoCache(ctx, c.client.B().Get().Key(slot).Cache(), c.ttl).AsBytes()
	switch {
	case rueidis.IsRedisNil(err):
		return nil, slot, false, nil
	case err != nil:
		return nil, "", false, err
	}
	return v, slot, true, nil
}

// Store is best effort: an entry that could not be written is read from
// the store next time.
func (c *ReadCache) Store(ctx context.Context, slot string, value []byte) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// The EXISTS: the lookup that missed cached the absence of the entry, and
	// Redis tells this client it changed after the SET's reply (see Invalidate).
	_ = c.client.DoMulti(ctx, c.client.B().Set().Key(slot).Value(rueidis.BinaryString(value)).Ex(c.ttl).Build(),
		c.client.B().Exists().Key(slot).Build())
}

func (c *ReadCache) Invalidate(ctx context.Context, chats []domain.ChatKey) error {
	if len(chats) == 0 {
		return nil
	}
	cmds := make(rueidis.Commands, 0, 2*len(chats))
	for _, chat := range chats {
		gk := generationKey(chat)
		// Redis sends a client the invalidations its own writes cause after
		// their replies: the EXISTS' reply comes after them, on the same
		// connection (the key's node, on a cluster), so this client's
		// lookups miss once Invalidate returns. (Other clients hear within
		// a network hop.)
		cmds = append(cmds, c.client.B().Set().Key(gk).Value(newGeneration()).Ex(generationTTL).Build(),
			c.client.B().Exists().Key(gk).Build())
	}
	for _, r := range c.client.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			return unavailable(err)
		}
	}
	return nil
}
