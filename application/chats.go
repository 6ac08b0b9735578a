package application

import (
	"context"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Chats creates and reads chats. Creation allocates the number and queues the
// event; the worker persists it.
type Chats struct {
	queue  ports.EventQueue
	reader ports.ChatReader
	clock  ports.Clock
}

func NewChats(queue ports.EventQueue, reader ports.ChatReader, clock ports.Clock) *Chats {
	return &Chats{queue: queue, reader: reader, clock: clock}
}

// Create allocates the application's next chat number and queues its
// creation, with its creator and visibility when it has a setup (see
// domain.ChatCreated, Setup); a retry with the same idempotency key gets
// the same chat.
func (u *Chats) Create(ctx context.Context, rawToken string, creator domain.UserID, v domain.Visibility, idem domain.Idempotency) (domain.Chat, error) {
	token, err := domain.ParseToken(rawToken)
	if err != nil {
		return domain.Chat{}, err
	}
	ev, _, err := u.queue.Append(ctx, domain.ChatCreated{Token: token, CreatedAt: u.clock.Now(), Creator: creator, Visibility: v}, idem)
	if err != nil {
		return domain.Chat{}, err
	}
	c := ev.(domain.ChatCreated)
	return domain.Chat{Number: c.Number, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt}, nil
}

// Get reads one persisted chat.
func (u *Chats) Get(ctx context.Context, path ChatPath) (domain.Chat, error) {
	token, n, err := path.parse()
	if err != nil {
		return domain.Chat{}, err
	}
	return u.reader.Chat(ctx, token, n)
}

// List pages through an application's persisted chats by number.
func (u *Chats) List(ctx context.Context, rawToken string, page domain.PageRequest[int64]) (domain.Page[domain.Chat], error) {
	token, err := domain.ParseToken(rawToken)
	if err != nil {
		return domain.Page[domain.Chat]{}, err
	}
	return pageByNumber(ctx, page, func(c domain.Chat) int64 { return c.Number },
		func(ctx context.Context, p domain.PageRequest[int64]) (domain.Page[domain.Chat], error) {
			return u.reader.Chats(ctx, token, p)
		})
}

// ChatPath names a chat as a request does: the application's token and
// the chat's number, as they came. The use cases parse them (a malformed
// one is a domain.MalformedError).
type ChatPath struct{ Token, Chat string }

// MessagePath names a message as a request does.
type MessagePath struct{ Token, Chat, Message string }

func (p ChatPath) parse() (domain.Token, int64, error) {
	n, err := domain.ParseNumber("chat number", p.Chat)
	if err != nil {
		return "", 0, err
	}
	token, err := domain.ParseToken(p.Token)
	if err != nil {
		return "", 0, err
	}
	return token, n, nil
}

// chat names the chat the message is in.
func (p MessagePath) chat() ChatPath { return ChatPath{Token: p.Token, Chat: p.Chat} }

func (p MessagePath) parse() (token domain.Token, chat, number int64, err error) {
	if token, chat, err = p.chat().parse(); err != nil {
		return "", 0, 0, err
	}
	if number, err = domain.ParseNumber("message number", p.Message); err != nil {
		return "", 0, 0, err
	}
	return token, chat, number, nil
}
