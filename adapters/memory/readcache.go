package memory

import (
	"context"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/chatsvc/chat/domain"
)

// ReadCache is ports.ReadCache in process, for the embedded profile: the
// same generations as the Redis one, in memory. Generations are drawn from
// one counter, so a chat whose generation was evicted gets a new one that
// no entry was ever stored under.
type ReadCache struct {
	mu      sync.Mutex
	next    uint64
	gens    *lru.Cache[domain.ChatKey, uint64]
	entries *expirable.LRU[string, []byte]
}

// NewReadCache keeps up to size entries, each for ttl.
func NewReadCache(size int, ttl time.Duration) *ReadCache {
	gens, _ := lru.New[domain.ChatKey, uint64](max(size, 1))
	return &ReadCache{gens: gens, entries: expirable.NewLRU[string, []byte](max(size, 1), nil, ttl)}
}

func (c *ReadCache) generation(chat domain.ChatKey) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g, ok := c.gens.Get(chat); ok {
		return g
	}
	return c.renew(chat)
}

// renew gives the chat a generation no entry was stored under; c.mu is held.
func (c *ReadCache) renew(chat domain.ChatKey) uint64 {
	c.next++
	c.gens.Add(chat, c.next)
	return c.next
}

func (c *ReadCache) Lookup(_ context.Context, chat domain.ChatKey, key string) ([]byte, string, bool) {
	slot := string(chat.Token) + "/" + strconv.FormatInt(chat.Number, 10) + "/" +
		strconv.FormatUint(c.generation(chat), 10) + "/" + key
	v, ok := c.entries.Get(slot)
	return v, slot, ok
}

func (c *ReadCache) Store(_ context.Context, slot string, value []byte) { c.entries.Add(slot, value) }

func (c *ReadCache) Invalidate(_ context.Context, chats []domain.ChatKey) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, chat := range chats {
		c.renew(chat)
	}
	return nil
}
