package domain

import (
	"strconv"
	"time"
)

// Event is what the api appends to the stream and the worker applies to the
// system of record. Every event names its scope by the public identifiers
// (token and numbers), never by database ids, so that an event can be applied
// by any worker, in any order relative to events of other scopes, and twice.
type Event interface {
	// Scope is "token" or "token/chat": events of one scope share a partition.
	Scope() string
}

// ChatCreated: the api allocated Number in application Token.
type ChatCreated struct {
	Token     Token
	Number    int64
	CreatedAt time.Time
	// Epoch is the life of the application's chat sequence the number came
	// from: it grows each time the sequence is re-seeded after the sequencer
	// lost its state (see SequenceFences).
	Epoch int64
	Idem  Idempotency // the request's key, kept with the row it creates
	// Creator and Visibility set the chat up in a protected application,
	// as part of its creation: the user who created it (its first
	// moderator; "" for the application itself) and its visibility ("" for
	// private). Both empty: nothing to set up (every open application's
	// chat). The api records them at once too; the store keeps whichever
	// comes first, once, so that a failure between the number and the api's
	// record never leaves a chat without its moderator, and a late event
	// never brings back a member removed since.
	Creator    UserID
	Visibility Visibility
}

func (e ChatCreated) Scope() string { return string(e.Token) }

// MessageCreated: the api allocated Number in chat Chat of application Token.
type MessageCreated struct {
	Token  Token
	Chat   int64
	Number int64
	Body   string
	Author string // "" for none, as Message.Author
	// Type and Attributes as Message's ("" in an entry written before
	// messages had them: text, none).
	Type       string
	Attributes string
	ReplyTo    int64 // 0 for none, as Message.ReplyTo
	CreatedAt  time.Time
	Epoch      int64 // the life of the chat's message sequence the number came from
	Idem       Idempotency
}

func (e MessageCreated) Scope() string { return chatScope(e.Token, e.Chat) }

// Message is the message the event creates.
func (e MessageCreated) Message() Message {
	return Message{Number: e.Number, Body: StoredBody(e.Body), Author: e.Author, Type: TypeOf(e.Type), Attributes: e.Attributes,
		ReplyTo: e.ReplyTo, CreatedAt: e.CreatedAt, UpdatedAt: e.CreatedAt}
}

// MessageEdited: a new body for a message. Version grows with every edit of
// the chat's messages; the store keeps the body of the highest version, so an
// older edit (or the creation itself) applied late never wins.
type MessageEdited struct {
	Token  Token
	Chat   int64
	Number int64
	Body   string
	// Author is the message's, when it was known at the edit (as CreatedAt):
	// for live streams and webhooks, which show the whole message.
	Author string
	// Type is the message's, when it was known at the edit (an edit never
	// changes it).
	Type string
	// Attributes are the message's after the edit: the new ones when
	// NewAttributes (the edit gives them; "" clears them), else the ones
	// known at the edit, for live streams and webhooks only.
	Attributes    string
	NewAttributes bool
	ReplyTo       int64 // the message's, when it was known at the edit
	Version       int64
	EditedAt      time.Time
	Epoch         int64 // the life of the chat's sequences the version came from
	// CreatedAt is the message's, for live streams; zero when the message
	// was not persisted yet when it was edited.
	CreatedAt time.Time
	Idem      Idempotency
}

func (e MessageEdited) Scope() string { return chatScope(e.Token, e.Chat) }

// Message is the message as the edit makes it.
func (e MessageEdited) Message() Message {
	return Message{Number: e.Number, Body: StoredBody(e.Body), Author: e.Author, Type: TypeOf(e.Type), Attributes: e.Attributes,
		ReplyTo: e.ReplyTo, CreatedAt: e.CreatedAt, UpdatedAt: e.EditedAt}
}

// MessageDeleted: the message is gone for good. It carries a version like an
// edit, allocated from the same sequence; the store keeps a tombstone, so
// that no edit, older or newer, brings the message back, and its number is
// never handed out again.
type MessageDeleted struct {
	Token     Token
	Chat      int64
	Number    int64
	Version   int64
	DeletedAt time.Time
	Epoch     int64
	Idem      Idempotency
	// Reason is why: "" for a request's DELETE, RetentionReason when the
	// message outlived its retention.
	Reason string
}

func (e MessageDeleted) Scope() string { return chatScope(e.Token, e.Chat) }

func chatScope(t Token, chat int64) string { return string(t) + "/" + strconv.FormatInt(chat, 10) }

// Subject tells what an event is about: its application, its chat (0 for a
// chat's creation), the number it claims (the chat's or the message's), the
// version it carries (edits and deletes) and when it happened.
func Subject(e Event) (token Token, chat, number, version int64, at time.Time) {
	switch e := e.(type) {
	case ChatCreated:
		return e.Token, 0, e.Number, 0, e.CreatedAt
	case MessageCreated:
		return e.Token, e.Chat, e.Number, 0, e.CreatedAt
	case MessageEdited:
		return e.Token, e.Chat, e.Number, e.Version, e.EditedAt
	case MessageDeleted:
		return e.Token, e.Chat, e.Number, e.Version, e.DeletedAt
	}
	return "", 0, 0, 0, time.Time{}
}

// Numbered is the draft with what its sequence allocated: the number (of a
// creation) or the version (of an edit or a delete), the sequence's epoch
// and, unless at is zero, the time (a replay answers with the first
// request's). ok is false for a type that is not a draft.
func Numbered(draft Event, n, epoch int64, at time.Time) (e Event, ok bool) {
	when := func(t time.Time) time.Time {
		if at.IsZero() {
			return t
		}
		return at
	}
	switch e := draft.(type) {
	case ChatCreated:
		e.Number, e.Epoch, e.CreatedAt = n, epoch, when(e.CreatedAt)
		return e, true
	case MessageCreated:
		e.Number, e.Epoch, e.CreatedAt = n, epoch, when(e.CreatedAt)
		return e, true
	case MessageEdited:
		e.Version, e.Epoch, e.EditedAt = n, epoch, when(e.EditedAt)
		return e, true
	case MessageDeleted:
		e.Version, e.Epoch, e.DeletedAt = n, epoch, when(e.DeletedAt)
		return e, true
	}
	return nil, false
}

// ChatKey names a chat by its public identifiers.
type ChatKey struct {
	Token  Token
	Number int64
}

// Touched lists the applications and chats whose rows an applied batch may
// have added to, so that only their counters are recomputed.
type Touched struct {
	Applications map[Token]struct{}
	Chats        map[ChatKey]struct{}
}

// Add records e's scope.
func (t *Touched) Add(e Event) {
	if t.Applications == nil {
		t.Applications = map[Token]struct{}{}
		t.Chats = map[ChatKey]struct{}{}
	}
	switch e := e.(type) {
	case ChatCreated:
		t.Applications[e.Token] = struct{}{}
	case MessageCreated:
		t.Chats[ChatKey{e.Token, e.Chat}] = struct{}{}
	case MessageEdited:
		t.Chats[ChatKey{e.Token, e.Chat}] = struct{}{}
	case MessageDeleted:
		t.Chats[ChatKey{e.Token, e.Chat}] = struct{}{}
	}
}

// Merge adds o's entries to t.
func (t *Touched) Merge(o Touched) {
	for a := range o.Applications {
		t.Add(ChatCreated{Token: a})
	}
	for c := range o.Chats {
		t.Add(MessageCreated{Token: c.Token, Chat: c.Number})
	}
}

// Empty says whether nothing was touched.
func (t Touched) Empty() bool { return len(t.Applications) == 0 && len(t.Chats) == 0 }

// Idempotency names a client's retry-safe request: a Key (scoped to the
// application) and the Fingerprint of the request it was first sent with.
// The zero value is a request without a key.
type Idempotency struct {
	Key         string
	Fingerprint string
}

// IdempotencyTTL is how long a key is kept: at least a day, as API.md says.
const IdempotencyTTL = 24 * time.Hour

// FirstAnswer is what a request with an idempotency key was first answered
// with, as kept with the row it created: its fingerprint, the number (or
// version) and epoch it took, and its time.
type FirstAnswer struct {
	Fingerprint string
	Number      int64
	Epoch       int64
	At          time.Time
}

// WithIdempotency is e carrying the key of the request that caused it, for
// the system of record to keep with what it creates.
func WithIdempotency(e Event, idem Idempotency) Event {
	switch e := e.(type) {
	case ChatCreated:
		e.Idem = idem
		return e
	case MessageCreated:
		e.Idem = idem
		return e
	case MessageEdited:
		e.Idem = idem
		return e
	case MessageDeleted:
		e.Idem = idem
		return e
	}
	return e
}

// IdempotencyOf is the key e carries (the zero value: none).
func IdempotencyOf(e Event) Idempotency {
	switch e := e.(type) {
	case ChatCreated:
		return e.Idem
	case MessageCreated:
		return e.Idem
	case MessageEdited:
		return e.Idem
	case MessageDeleted:
		return e.Idem
	}
	return Idempotency{}
}

// ChatsOf lists, once each, the chats the events change: the chat a
// ChatCreated makes, the chat of a message event.
func ChatsOf(events []Event) []ChatKey {
	seen := make(map[ChatKey]struct{}, len(events))
	out := make([]ChatKey, 0, 1)
	for _, e := range events {
		token, chat, number, _, _ := Subject(e)
		if _, ok := e.(ChatCreated); ok {
			chat = number
		}
		k := ChatKey{token, chat}
		if _, dup := seen[k]; !dup && token != "" {
			seen[k] = struct{}{}
			out = append(out, k)
		}
	}
	return out
}
