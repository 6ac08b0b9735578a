package application

import (
	"context"
	"errors"
	"strconv"

	"github.com/chatsvc/chat/domain"
)

// checkParent says whether a new message may answer message parent (0:
// none) of the chat: a message of the chat not deleted, persisted or still
// on its way (its creation in the event log, as AuthorOf finds it), so that
// a client may answer a message it has just been shown live.
func (u *Messages) checkParent(ctx context.Context, token domain.Token, chat, parent int64) error {
	if parent == 0 {
		return nil
	}
	_, err := u.reader.Message(ctx, token, chat, parent)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, domain.ErrDeleted):
	case errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrUnavailable):
		_, found, lerr := u.log.Creation(ctx, domain.ChatKey{Token: token, Number: chat}, parent)
		if lerr != nil || found {
			return lerr
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return err // the store is down and the log does not have it
		}
	default:
		return err
	}
	return &domain.ValidationError{Field: "reply_to", Reason: "no message " + strconv.FormatInt(parent, 10) + " in this chat"}
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
