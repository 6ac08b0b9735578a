package entstore

import (
	"sync"
	"sync/atomic"
)

// idCache maps public keys to row ids. Rows are never deleted, so an entry
// never goes stale; the cache is only bounded: past max entries it starts
// over, which costs one query per key to refill.
type idCache[K comparable] struct {
	m   sync.Map
	n   atomic.Int64
	max int64
}

func newIDCache[K comparable](max int64) *idCache[K] { return &idCache[K]{max: max} }

func (c *idCache[K]) Load(k K) (int, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(int), true
}

func (c *idCache[K]) Store(k K, id int) {
	if c.n.Add(1) > c.max {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(k, id)
}

func (c *idCache[K]) Delete(k K) { c.m.Delete(k) }
