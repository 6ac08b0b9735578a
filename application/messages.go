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
	queue  ports.EventQueue
	reader ports.MessageReader
	// log has the messages created but not persisted yet (AuthorOf).
	log          ports.LiveLog
	clock        ports.Clock
	maxBodyBytes int
}

func NewMessages(queue ports.EventQueue, reader ports.MessageReader, log ports.LiveLog, clock ports.Clock, maxBodyBytes int) *Messages {
	return &Messages{queue: queue, reader: reader, log: log, clock: clock, maxBodyBytes: maxBodyBytes}
}

// NewMessage is what a request to create a message says: its body, when
// Named the author it names, its type ("" for text) and its attributes as
// sent (nil for none).
type NewMessage struct {
	Body       string
	Author     string
	Named      bool
	Type       string
	Attributes []byte
	// ReplyTo is the number of the message of the same chat it answers, 0
	// for none.
	ReplyTo int64
}

// MessageChange is what a request to edit a message says: its new body,
// the type it names (which must be the message's: an edit keeps it) and,
// when NewAttributes, its new attributes (nil clears them).
type MessageChange struct {
	Body          string
	Type          string
	Attributes    []byte
	NewAttributes bool
}

// attributesOf validates attributes as sent; nil is none.
func attributesOf(raw []byte) (string, error) {
	if raw == nil {
		return "", nil
	}
	return domain.ParseAttributes(raw)
}

// Create allocates the chat's next message number and queues the message,
// written by whom caller may name (domain.Caller.AuthorOf); a retry with
// the same idempotency key gets the same message.
func (u *Messages) Create(ctx context.Context, caller domain.Caller, path ChatPath, req NewMessage, idem domain.Idempotency) (domain.Message, error) {
	token, chat, err := path.parse()
	if err != nil {
		return domain.Message{}, err
	}
	body, err := domain.NewBody(req.Body, u.maxBodyBytes)
	if err != nil {
		return domain.Message{}, err
	}
	author, err := caller.AuthorOf(req.Author, req.Named)
	if err != nil {
		return domain.Message{}, err
	}
	typ, err := caller.ParseType(req.Type)
	if err != nil {
		return domain.Message{}, err
	}
	attrs, err := attributesOf(req.Attributes)
	if err != nil {
		return domain.Message{}, err
	}
	if err := u.checkParent(ctx, token, chat, req.ReplyTo); err != nil {
		return domain.Message{}, err
	}
	ev, _, err := u.queue.Append(ctx, domain.MessageCreated{Token: token, Chat: chat, Body: body.String(), Author: author,
		Type: typ, Attributes: attrs, ReplyTo: req.ReplyTo, CreatedAt: u.clock.Now()}, idem)
	if err != nil {
		return domain.Message{}, err
	}
	return ev.(domain.MessageCreated).Message(), nil
}

// Edit queues a new body (and attributes) for an existing message; a
// deleted one is not found. The answer and the event carry the new body and
// the message's creation time, author, type and attributes, known once the
// message is persisted (zero before).
func (u *Messages) Edit(ctx context.Context, path MessagePath, change MessageChange, idem domain.Idempotency) (domain.Message, error) {
	token, chat, n, err := path.parse()
	if err != nil {
		return domain.Message{}, err
	}
	body, err := domain.NewBody(change.Body, u.maxBodyBytes)
	if err != nil {
		return domain.Message{}, err
	}
	attrs, err := attributesOf(change.Attributes)
	if err != nil {
		return domain.Message{}, err
	}
	var stored domain.Message
	// Not found may be a message still in the queue, and the store may be
	// down: either way the edit is queued behind the creation. A deletion
	// still in the queue is not seen here; the edit then changes nothing.
	switch m, err := u.reader.Message(ctx, token, chat, n); {
	case err == nil:
		stored = m
	case errors.Is(err, domain.ErrDeleted):
		return domain.Message{}, err
	case !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrUnavailable):
		return domain.Message{}, err
	}
	// A type named must be the message's; one not persisted yet keeps
	// whichever it was created with.
	if change.Type != "" && stored.Number != 0 && change.Type != domain.TypeOf(stored.Type) {
		return domain.Message{}, &domain.ValidationError{Field: "type", Reason: "an edit keeps the message's type (" + domain.TypeOf(stored.Type) + ")"}
	}
	if !change.NewAttributes {
		attrs = stored.Attributes
	}
	ev, _, err := u.queue.Append(ctx, domain.MessageEdited{Token: token, Chat: chat, Number: n, Body: body.String(),
		Author: stored.Author, Type: stored.Type, Attributes: attrs, NewAttributes: change.NewAttributes, ReplyTo: stored.ReplyTo,
		EditedAt: u.clock.Now(), CreatedAt: stored.CreatedAt}, idem)
	if err != nil {
		return domain.Message{}, err
	}
	return ev.(domain.MessageEdited).Message(), nil
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

// AuthorOf is the author of a message ("" for none), for deciding a user's
// edit or delete: from the store, or, for a message answered but not
// persisted yet (or while the store is down), from its creation in the
// event log, where live streams read such messages too. A message in
// neither is not found (or, with the store down, unavailable).
func (u *Messages) AuthorOf(ctx context.Context, path MessagePath) (string, error) {
	token, chat, n, err := path.parse()
	if err != nil {
		return "", err
	}
	m, err := u.reader.Message(ctx, token, chat, n)
	switch {
	case err == nil:
		return m.Author, nil
	case errors.Is(err, domain.ErrDeleted), !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrUnavailable):
		return "", err
	}
	created, found, lerr := u.log.Creation(ctx, domain.ChatKey{Token: token, Number: chat}, n)
	switch {
	case lerr != nil:
		return "", lerr
	case found:
		return created.Author, nil
	}
	return "", err // not found, or the store's outage
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
