// Package stream carries domain events through Watermill: Redis Streams in
// production, an in-process Go channel in the embedded profile. It holds the
// publisher (the api's side), the consumer (the worker's side: batching,
// retries, the dead-letter stream) and the event wire format.
package stream

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/chatsvc/chat/domain"
)

const typeKey = "event_type"

// wire is the JSON payload of every event; fields unused by a type are omitted.
type wire struct {
	Token   string    `json:"token"`
	Chat    int64     `json:"chat,omitempty"`
	Number  int64     `json:"number"`
	Body    string    `json:"body,omitempty"`
	Version int64     `json:"version,omitempty"`
	At      time.Time `json:"at"`
}

// Encode turns an event into a Watermill message.
func Encode(e domain.Event) (*message.Message, error) {
	var w wire
	var kind string
	switch e := e.(type) {
	case domain.ChatCreated:
		kind, w = "chat.created", wire{Token: string(e.Token), Number: e.Number, At: e.CreatedAt}
	case domain.MessageCreated:
		kind, w = "message.created", wire{Token: string(e.Token), Chat: e.Chat, Number: e.Number, Body: e.Body, At: e.CreatedAt}
	case domain.MessageEdited:
		kind, w = "message.edited", wire{Token: string(e.Token), Chat: e.Chat, Number: e.Number, Body: e.Body, Version: e.Version, At: e.EditedAt}
	default:
		return nil, fmt.Errorf("cannot encode %T", e)
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	msg := message.NewMessage(watermill.NewULID(), payload)
	msg.Metadata.Set(typeKey, kind)
	return msg, nil
}

// Decode reads an event back. A message that is not a valid event can never
// be applied: the error wraps domain.ErrInvalidEvent.
func Decode(msg *message.Message) (domain.Event, error) {
	var w wire
	if err := json.Unmarshal(msg.Payload, &w); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", domain.ErrInvalidEvent, err)
	}
	token, err := domain.ParseToken(w.Token)
	if err != nil || w.Number < 1 {
		return nil, fmt.Errorf("%w: bad token or number", domain.ErrInvalidEvent)
	}
	kind := msg.Metadata.Get(typeKey)
	if kind != "chat.created" && w.Chat < 1 {
		return nil, fmt.Errorf("%w: bad chat number", domain.ErrInvalidEvent)
	}
	switch kind {
	case "chat.created":
		return domain.ChatCreated{Token: token, Number: w.Number, CreatedAt: w.At}, nil
	case "message.created":
		return domain.MessageCreated{Token: token, Chat: w.Chat, Number: w.Number, Body: w.Body, CreatedAt: w.At}, nil
	case "message.edited":
		return domain.MessageEdited{Token: token, Chat: w.Chat, Number: w.Number, Body: w.Body, Version: w.Version, EditedAt: w.At}, nil
	}
	return nil, fmt.Errorf("%w: unknown event type %q", domain.ErrInvalidEvent, kind)
}
