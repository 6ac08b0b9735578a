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

// Create allocates the chat's next message number and queues the message;
// a retry with the same idempotency key gets the same message.
func (u *Messages) Create(ctx context.Context, path ChatPath, rawBody string, idem domain.Idempotency) (domain.Message, error) {
	token, chat, err := path.parse()
	if err != nil {
		return domain.Message{}, err
	}
	body, err := domain.NewBody(rawBody, u.maxBodyBytes)
	if err != nil {
		return domain.Message{}, err
	}
	ev, _, err := u.queue.Append(ctx, domain.MessageCreated{Token: token, Chat: chat, Body: body.String(), CreatedAt: u.clock.Now()}, idem)
	if err != nil {
		return domain.Message{}, err
	}
	m := ev.(domain.MessageCreated)
	return domain.Message{Number: m.Number, Body: body, CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt}, nil
}

// Edit queues a new body for an existing message. The answer carries the new
// body; created_at is known only once the message is persisted (zero before).
func (u *Messages) Edit(ctx context.Context, path MessagePath, rawBody string, idem domain.Idempotency) (domain.Message, error) {
	token, chat, n, err := path.parse()
	if err != nil {
		return domain.Message{}, err
	}
	body, err := domain.NewBody(rawBody, u.maxBodyBytes)
	if err != nil {
		return domain.Message{}, err
	}
	ev, _, err := u.queue.Append(ctx, domain.MessageEdited{Token: token, Chat: chat, Number: n, Body: body.String(), EditedAt: u.clock.Now()}, idem)
	if err != nil {
		return domain.Message{}, err
	}
	msg := domain.Message{Number: n, Body: body, UpdatedAt: ev.(domain.MessageEdited).EditedAt}
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
func (u *Messages) Delete(ctx context.Context, path MessagePath, idem domain.Idempotency) error {
	token, chat, n, err := path.parse()
	if err != nil {
		return err
	}
	_, _, err = u.queue.Append(ctx, domain.MessageDeleted{Token: token, Chat: chat, Number: n, DeletedAt: u.clock.Now()}, idem)
	return err
}

// Get reads one persisted message.
func (u *Messages) Get(ctx context.Context, path MessagePath) (domain.Message, error) {
	token, chat, n, err := path.parse()
	if err != nil {
		return domain.Message{}, err
	}
	return u.reader.Message(ctx, token, chat, n)
}

// List pages through a chat's persisted messages by number.
func (u *Messages) List(ctx context.Context, path ChatPath, page domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	token, chat, err := path.parse()
	if err != nil {
		return domain.Page[domain.Message]{}, err
	}
	return pageByNumber(ctx, page, func(m domain.Message) int64 { return m.Number },
		func(ctx context.Context, p domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
			return u.reader.Messages(ctx, token, chat, p)
		})
}
