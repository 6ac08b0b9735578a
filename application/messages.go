package application

import (
	"context"
	"errors"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Messages creates, edits and reads messages. Creation and edits are queued;
// the worker persists them.
type Messages struct {
	queue        ports.EventQueue
	reader       ports.MessageReader
	clock        ports.Clock
	maxBodyBytes int
}

func NewMessages(queue ports.EventQueue, reader ports.MessageReader, clock ports.Clock, maxBodyBytes int) *Messages {
	return &Messages{queue: queue, reader: reader, clock: clock, maxBodyBytes: maxBodyBytes}
}

// Create allocates the chat's next message number and queues the message.
func (u *Messages) Create(ctx context.Context, rawToken, rawChat, rawBody string) (domain.Message, error) {
	token, chat, err := parseChatPath(rawToken, rawChat)
	if err != nil {
		return domain.Message{}, err
	}
	body, err := domain.NewBody(rawBody, u.maxBodyBytes)
	if err != nil {
		return domain.Message{}, err
	}
	now := u.clock.Now()
	ev, err := u.queue.Append(ctx, domain.MessageCreated{Token: token, Chat: chat, Body: body.String(), CreatedAt: now})
	if err != nil {
		return domain.Message{}, err
	}
	return domain.Message{Number: ev.(domain.MessageCreated).Number, Body: body.String(), CreatedAt: now, UpdatedAt: now}, nil
}

// Edit queues a new body for an existing message. The answer carries the new
// body; created_at is known only once the message is persisted (zero before).
func (u *Messages) Edit(ctx context.Context, rawToken, rawChat, rawNumber, rawBody string) (domain.Message, error) {
	token, chat, err := parseChatPath(rawToken, rawChat)
	if err != nil {
		return domain.Message{}, err
	}
	n, err := domain.ParseNumber("message number", rawNumber)
	if err != nil {
		return domain.Message{}, err
	}
	body, err := domain.NewBody(rawBody, u.maxBodyBytes)
	if err != nil {
		return domain.Message{}, err
	}
	now := u.clock.Now()
	if _, err := u.queue.Append(ctx, domain.MessageEdited{Token: token, Chat: chat, Number: n, Body: body.String(), EditedAt: now}); err != nil {
		return domain.Message{}, err
	}
	msg := domain.Message{Number: n, Body: body.String(), UpdatedAt: now}
	// Best effort: the edit is queued whatever the store says now.
	if stored, err := u.reader.Message(ctx, token, chat, n); err == nil {
		msg.CreatedAt = stored.CreatedAt
	} else if !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrUnavailable) {
		return domain.Message{}, err
	}
	return msg, nil
}

// Delete queues the message's deletion. Its number is never handed out
// again; reading it gives not found once the deletion is applied.
func (u *Messages) Delete(ctx context.Context, rawToken, rawChat, rawNumber string) error {
	token, chat, err := parseChatPath(rawToken, rawChat)
	if err != nil {
		return err
	}
	n, err := domain.ParseNumber("message number", rawNumber)
	if err != nil {
		return err
	}
	_, err = u.queue.Append(ctx, domain.MessageDeleted{Token: token, Chat: chat, Number: n, DeletedAt: u.clock.Now()})
	return err
}

// Get reads one persisted message.
func (u *Messages) Get(ctx context.Context, rawToken, rawChat, rawNumber string) (domain.Message, error) {
	token, chat, err := parseChatPath(rawToken, rawChat)
	if err != nil {
		return domain.Message{}, err
	}
	n, err := domain.ParseNumber("message number", rawNumber)
	if err != nil {
		return domain.Message{}, err
	}
	return u.reader.Message(ctx, token, chat, n)
}

// List pages through a chat's persisted messages by number.
func (u *Messages) List(ctx context.Context, rawToken, rawChat string, page domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	token, chat, err := parseChatPath(rawToken, rawChat)
	if err != nil {
		return domain.Page[domain.Message]{}, err
	}
	return pageByNumber(ctx, page, func(m domain.Message) int64 { return m.Number },
		func(ctx context.Context, p domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
			return u.reader.Messages(ctx, token, chat, p)
		})
}
