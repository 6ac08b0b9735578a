package httpapi

import (
	"time"

	"github.com/chatsvc/chat/domain"
)

// The JSON shapes of the API's resources and pages (openapi.json's schemas).

type applicationJSON struct {
	Token      string `json:"token"`
	Name       string `json:"name"`
	ChatsCount int64  `json:"chats_count"`
	Access     string `json:"access"`
	// RetentionDays: how long its messages are kept, null for forever.
	RetentionDays *int64    `json:"retention_days"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// createdApplicationJSON is the creation's answer: the only one that shows
// the secret (absent from a retry's, with the same Idempotency-Key).
type createdApplicationJSON struct {
	applicationJSON
	Secret string `json:"secret,omitempty"`
}

type secretJSON struct {
	Secret string `json:"secret"`
}

type chatJSON struct {
	Number        int64     `json:"number"`
	MessagesCount int64     `json:"messages_count"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

type messageJSON struct {
	Number    int64      `json:"number"`
	Body      string     `json:"body"`
	Author    author     `json:"author"`
	Type      string     `json:"type"`
	Attrs     rawObject  `json:"attributes,omitempty"`
	ReplyTo   int64      `json:"reply_to,omitempty"`
	Replies   int64      `json:"reply_count,omitempty"`
	CreatedAt *time.Time `json:"created_at"` // null only in an edit's answer, before the message is persisted
	UpdatedAt time.Time  `json:"updated_at"`
}

// rawObject is a JSON object kept as the client sent it (a message's
// attributes), written as it is.
type rawObject string

func (r rawObject) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// author is a message's author: null for none (the application's own).
// Not a *string: a page of messages would allocate one per message.
type author string

func (a author) MarshalJSON() ([]byte, error) {
	if a == "" {
		return []byte("null"), nil
	}
	// encoding/json escapes HTML in what this returns as its encoder is told.
	return appendString(nil, string(a)), nil
}

type hitJSON struct {
	messageJSON
	Highlight string `json:"highlight"`
}

func toHitJSON(h domain.Hit) hitJSON {
	return hitJSON{messageJSON: toMessageJSON(h.Message), Highlight: h.Highlight}
}

type pageJSON[T any] struct {
	Data       []T     `json:"data"`
	HasMore    bool    `json:"has_more"`
	NextCursor *string `json:"next_cursor"`
}

func toApplicationJSON(a domain.Application) applicationJSON {
	mode := a.Access.Mode
	if mode == "" {
		mode = domain.AccessOpen
	}
	return applicationJSON{Token: string(a.Token), Name: a.Name.String(), ChatsCount: a.ChatsCount, Access: string(mode),
		RetentionDays: retentionJSON(a.RetentionDays), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func toChatJSON(c domain.Chat) chatJSON {
	return chatJSON{Number: c.Number, MessagesCount: c.MessagesCount, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func toMessageJSON(m domain.Message) messageJSON { return messageJSONIn(m, new(time.Time)) }

// messageJSONIn is m's representation, its creation time (when known) kept
// in *created.
func messageJSONIn(m domain.Message, created *time.Time) messageJSON {
	out := messageJSON{Number: m.Number, Body: m.Body.String(), Author: author(m.Author), Type: domain.TypeOf(m.Type),
		Attrs: rawObject(m.Attributes), ReplyTo: m.ReplyTo, Replies: m.ReplyCount, UpdatedAt: m.UpdatedAt}
	if !m.CreatedAt.IsZero() {
		*created = m.CreatedAt
		out.CreatedAt = created
	}
	return out
}

// toMessagesJSON is toPage with toMessageJSON, less an allocation per
// message: the creation times a page points at are allocated together.
func toMessagesJSON(p domain.Page[domain.Message]) pageJSON[messageJSON] {
	out := pageJSON[messageJSON]{Data: make([]messageJSON, len(p.Items)), HasMore: p.HasMore}
	created := make([]time.Time, len(p.Items))
	for i, m := range p.Items {
		out.Data[i] = messageJSONIn(m, &created[i])
	}
	return out
}

func toPage[T, J any](p domain.Page[T], conv func(T) J, cursor func(T) string) pageJSON[J] {
	out := pageJSON[J]{Data: make([]J, len(p.Items)), HasMore: p.HasMore}
	for i, item := range p.Items {
		out.Data[i] = conv(item)
	}
	if p.HasMore && len(p.Items) > 0 && cursor != nil {
		c := cursor(p.Items[len(p.Items)-1])
		out.NextCursor = &c
	}
	return out
}
