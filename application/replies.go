package application

import (
	"context"
	"errors"
	"strconv"

	"github.com/chatsvc/chat/domain"
)

// checkParent says whether a new message may answer message parent (0:
// none) of the chat: a persisted message of the chat, not deleted. One
// still in the queue is not found yet: a client answers what it has read.
func (u *Messages) checkParent(ctx context.Context, token domain.Token, chat, parent int64) error {
	if parent == 0 {
		return nil
	}
	_, err := u.reader.Message(ctx, token, chat, parent)
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.ValidationError{Field: "reply_to", Reason: "no message " + strconv.FormatInt(parent, 10) + " in this chat"}
	}
	return err
}

// Replies pages through the persisted messages answering a persisted
// message, by number, as List pages the chat's.
func (u *Messages) Replies(ctx context.Context, path MessagePath, page domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	token, chat, n, err := path.parse()
	if err != nil {
		return domain.Page[domain.Message]{}, err
	}
	if _, err := u.reader.Message(ctx, token, chat, n); err != nil {
		return domain.Page[domain.Message]{}, err
	}
	return pageByNumber(ctx, page, func(m domain.Message) int64 { return m.Number },
		func(ctx context.Context, p domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
			return u.reader.Replies(ctx, token, chat, n, p)
		})
}
