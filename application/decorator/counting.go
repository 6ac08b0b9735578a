package decorator

import (
	"context"
	"errors"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// QueueHooks hear what a queue appends; any may be nil.
type QueueHooks struct {
	// Appended: an event appended (not a replay), of the application token.
	Appended func(token domain.Token)
	// Refused: an append refused because the queue is overloaded.
	Refused func()
}

// CountAppends tells hooks what q appends and refuses.
func CountAppends(q ports.EventQueue, hooks QueueHooks) ports.EventQueue {
	return countingQueue{q, hooks}
}

type countingQueue struct {
	ports.EventQueue
	hooks QueueHooks
}

func (q countingQueue) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	ev, replayed, err := q.EventQueue.Append(ctx, draft, idem)
	if err == nil && !replayed && q.hooks.Appended != nil {
		token, _, _, _, _ := domain.Subject(ev)
		q.hooks.Appended(token)
	} else if errors.Is(err, domain.ErrOverloaded) && q.hooks.Refused != nil {
		q.hooks.Refused()
	}
	return ev, replayed, err
}

// ReadCacheHooks hear a read cache's lookups and failed invalidations; all are required.
type ReadCacheHooks struct {
	Hit, Miss, InvalidateFailed func()
}

// CountLookups tells hooks what c answers.
func CountLookups(c ports.ReadCache, hooks ReadCacheHooks) ports.ReadCache {
	return countingReadCache{c, hooks}
}

type countingReadCache struct {
	ports.ReadCache
	hooks ReadCacheHooks
}

func (c countingReadCache) Lookup(ctx context.Context, chat domain.ChatKey, key string) ([]byte, string, bool) {
	v, slot, hit := c.ReadCache.Lookup(ctx, chat, key)
	if hit {
		c.hooks.Hit()
	} else {
		c.hooks.Miss()
	}
	return v, slot, hit
}

func (c countingReadCache) Invalidate(ctx context.Context, chats []domain.ChatKey) error {
	err := c.ReadCache.Invalidate(ctx, chats)
	if err != nil {
		c.hooks.InvalidateFailed()
	}
	return err
}
