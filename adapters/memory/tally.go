package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Tally is ports.ChatTally in the process (the embedded profile, where the
// group commit acknowledges a write once it is in SQLite): each chat's
// tally is built from the store (ports.TallySeeds) the first time it is
// used, then kept by Record. Its rules are those of the Redis tally
// (adapters/redis/lua/tally_record.lua); the contract suite holds both to
// them.
type Tally struct {
	seeds ports.TallySeeds
	mu    sync.Mutex
	chats map[domain.ChatKey]*chatTally
}

func NewTally(seeds ports.TallySeeds) *Tally {
	return &Tally{seeds: seeds, chats: map[domain.ChatKey]*chatTally{}}
}

// chatTally: numbers up to last that are no message are in missing (not
// recorded yet) or deleted; own holds each user's messages that are not
// deleted. The three are disjoint, so an unread count is last minus the
// position, minus what each holds above it.
type chatTally struct {
	mu      sync.Mutex
	seeded  bool
	last    int64
	missing numbers
	deleted numbers
	own     map[domain.UserID]*numbers
	authors map[int64]domain.UserID
	lm      *domain.LastMessage
	// lmGone: lm was deleted; its number stays, so that an older message
	// recorded late does not take its place (the store tells the newest left).
	lmGone bool
	at     time.Time
}

// numbers is a sorted set of numbers; they mostly arrive in order, so adding
// is mostly appending.
type numbers []int64

func (s *numbers) add(n int64) {
	i, found := slices.BinarySearch(*s, n)
	if !found {
		*s = slices.Insert(*s, i, n)
	}
}

func (s *numbers) remove(n int64) bool {
	i, found := slices.BinarySearch(*s, n)
	if found {
		*s = slices.Delete(*s, i, i+1)
	}
	return found
}

func (s numbers) has(n int64) bool { _, found := slices.BinarySearch(s, n); return found }

// above counts the numbers greater than n.
func (s numbers) above(n int64) int64 {
	i, found := slices.BinarySearch(s, n)
	if found {
		i++
	}
	return int64(len(s) - i)
}

// chat is the chat's tally, built from the store unless it is already.
func (t *Tally) chat(ctx context.Context, key domain.ChatKey) (*chatTally, error) {
	t.mu.Lock()
	c, ok := t.chats[key]
	if !ok {
		c = &chatTally{own: map[domain.UserID]*numbers{}, authors: map[int64]domain.UserID{}}
		t.chats[key] = c
	}
	t.mu.Unlock()
	c.mu.Lock()
	if c.seeded {
		return c, nil
	}
	seed, err := t.seeds.TallySeed(ctx, key.Token, key.Number)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	c.last, c.missing, c.deleted, c.lm, c.at = seed.Last, seed.Missing, seed.Deleted, seed.LastMessage, seed.ActiveAt
	for _, o := range seed.Own {
		c.addOwn(o.Number, o.Author)
	}
	c.seeded = true
	return c, nil
}

func (c *chatTally) addOwn(n int64, author domain.UserID) {
	if author == "" {
		return
	}
	s, ok := c.own[author]
	if !ok {
		s = &numbers{}
		c.own[author] = s
	}
	s.add(n)
	c.authors[n] = author
}

// take makes n count as taken (up to last): it reports whether n was not
// recorded before, neither as a message nor as a deletion.
func (c *chatTally) take(n int64) bool {
	if n > c.last {
		for m := c.last + 1; m < n; m++ {
			c.missing = append(c.missing, m)
		}
		c.last = n
		return true
	}
	return c.missing.remove(n)
}

func (t *Tally) Record(ctx context.Context, events []domain.Event, _ bool) error {
	for _, e := range events {
		token, chat, n, _, at := domain.Subject(e)
		if token == "" {
			continue
		}
		if _, ok := e.(domain.ChatCreated); ok {
			chat = n
		}
		c, err := t.chat(ctx, domain.ChatKey{Token: token, Number: chat})
		if err != nil {
			return err
		}
		switch e := e.(type) {
		case domain.ChatCreated:
			if at.After(c.at) && c.last == 0 {
				c.at = at
			}
		case domain.MessageCreated:
			if c.take(n) {
				author := authorOf(e)
				c.addOwn(n, author)
				if c.lm == nil || n > c.lm.Number {
					c.lm, c.lmGone = &domain.LastMessage{Number: n, Author: author, Preview: domain.Preview(e.Body), CreatedAt: at}, false
				}
				if at.After(c.at) {
					c.at = at
				}
			}
		case domain.MessageEdited:
			if c.lm != nil && c.lm.Number == n && !c.lmGone {
				lm := *c.lm
				lm.Preview = domain.Preview(e.Body)
				c.lm = &lm
			}
		case domain.MessageDeleted:
			if !c.deleted.has(n) {
				c.take(n)
				c.deleted.add(n)
				if a, ok := c.authors[n]; ok {
					c.own[a].remove(n)
					delete(c.authors, n)
				}
				c.lmGone = c.lmGone || (c.lm != nil && c.lm.Number == n)
			}
		}
		c.mu.Unlock()
	}
	return nil
}

func (t *Tally) Activity(ctx context.Context, token domain.Token, chats []int64) ([]time.Time, error) {
	out := make([]time.Time, len(chats))
	for i, n := range chats {
		c, err := t.chat(ctx, domain.ChatKey{Token: token, Number: n})
		if err != nil {
			return nil, err
		}
		out[i] = c.at
		c.mu.Unlock()
	}
	return out, nil
}

func (t *Tally) Summaries(ctx context.Context, token domain.Token, user domain.UserID, positions []domain.ReadPosition) ([]domain.ChatSummary, error) {
	out := make([]domain.ChatSummary, len(positions))
	for i, p := range positions {
		c, err := t.chat(ctx, domain.ChatKey{Token: token, Number: p.Chat})
		if err != nil {
			return nil, err
		}
		r := min(p.Through, c.last)
		unread := c.last - r - c.missing.above(r) - c.deleted.above(r)
		if own, ok := c.own[user]; ok {
			unread -= own.above(r)
		}
		out[i] = domain.ChatSummary{Chat: p.Chat, ReadThrough: p.Through, Last: c.last, Unread: unread,
			Live: c.last - int64(len(c.missing)+len(c.deleted)), ActiveAt: c.at}
		if !c.lmGone {
			out[i].LastMessage = c.lm
		}
		c.mu.Unlock()
	}
	return out, nil
}

// authorOf is a created message's author ("" for none).
func authorOf(e domain.MessageCreated) domain.UserID { return domain.UserID(e.Author) }
