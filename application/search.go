package application

import (
	"context"
	"errors"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Search finds messages of one chat. When the index is down it answers from
// the system of record (slower, ordered by number) rather than failing.
type Search struct {
	chats    ports.ChatReader
	index    ports.SearchIndex
	fallback ports.SearchFallback
	degraded func(error)
	timeout  time.Duration
}

// NewSearch wires the use case; degraded hears each fallback (it may be nil).
// A search (fallback included) that has not finished within timeout is
// abandoned (0: 3 s): one costly query must not hold a server.
func NewSearch(chats ports.ChatReader, index ports.SearchIndex, fallback ports.SearchFallback, degraded func(error), timeout time.Duration) *Search {
	if degraded == nil {
		degraded = func(error) {}
	}
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	return &Search{chats: chats, index: index, fallback: fallback, degraded: degraded, timeout: timeout}
}

// Messages searches the chat for rawQuery. It reports whether the answer
// came from the fallback.
func (u *Search) Messages(ctx context.Context, path ChatPath, rawQuery string, page domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], bool, error) {
	token, chat, err := path.parse()
	if err != nil {
		return domain.Page[domain.Hit]{}, false, err
	}
	q, err := domain.NewSearchQuery(rawQuery)
	if err != nil {
		return domain.Page[domain.Hit]{}, false, err
	}
	if err := u.chats.ChatExists(ctx, token, chat); err != nil {
		return domain.Page[domain.Hit]{}, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	hits, err := u.index.Search(ctx, token, chat, q, page)
	if err == nil || !errors.Is(err, domain.ErrUnavailable) || u.fallback == nil || ctx.Err() != nil {
		return hits, false, err
	}
	u.degraded(err)
	hits, err = u.fallback.SearchMessages(ctx, token, chat, q, page)
	return hits, true, err
}

// Indexer is the worker's indexing use case: it keeps the search index in
// step with the events, in its own consumer group, so that an index outage
// delays search and nothing else.
type Indexer struct{ index ports.SearchIndex }

func NewIndexer(index ports.SearchIndex) *Indexer { return &Indexer{index: index} }

// Apply indexes the messages the events create or edit.
func (u *Indexer) Apply(ctx context.Context, events []domain.Event) error {
	msgs := make([]domain.IndexedMessage, 0, len(events))
	for _, e := range events {
		switch e := e.(type) {
		case domain.MessageCreated:
			msgs = append(msgs, domain.IndexedMessage{Token: e.Token, Chat: e.Chat, Number: e.Number, Body: e.Body,
				Author: e.Author, Type: e.Type, Attributes: e.Attributes, ReplyTo: e.ReplyTo, CreatedAt: e.CreatedAt, UpdatedAt: e.CreatedAt})
		case domain.MessageEdited:
			msgs = append(msgs, domain.IndexedMessage{Token: e.Token, Chat: e.Chat, Number: e.Number, Body: e.Body,
				Author: e.Author, Type: e.Type, Attributes: e.Attributes, NewAttributes: e.NewAttributes, ReplyTo: e.ReplyTo,
				Version: e.Version, UpdatedAt: e.EditedAt})
		case domain.MessageDeleted:
			msgs = append(msgs, domain.IndexedMessage{Token: e.Token, Chat: e.Chat, Number: e.Number,
				Version: e.Version, UpdatedAt: e.DeletedAt, Deleted: true})
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return u.index.IndexMessages(ctx, msgs)
}
