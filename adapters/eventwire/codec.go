// Package eventwire is the event log's wire format, in one place: the
// events as Redis stream entries in Watermill's format (Encode, Decode,
// and the Template plus Lua fragment a Redis script appends an entry
// with), the partitioned topics, and the order of stream entry IDs. The
// api's queue (adapters/redis), the worker's side (adapters/stream) and
// the api's reads of the log (adapters/streamlog) all speak it; it imports
// none of them.
package eventwire

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// TypeKey is the metadata key of an event's type ("message.created").
const TypeKey = "event_type"

// RequestIDKey is the metadata key of the id of the HTTP request that caused
// an event: Watermill's correlation id, so its middleware and tools see it.
const RequestIDKey = middleware.CorrelationIDMetadataKey

// wire is the JSON payload of every event; fields unused by a type are omitted.
type wire struct {
	numbered
	Token string `json:"token"`
	Chat  int64  `json:"chat,omitempty"`
	Body  string `json:"body,omitempty"`
	// Author is a message's (created, or edited when it was known); absent
	// for none, as in every entry written before messages had authors.
	Author string `json:"author,omitempty"`
	// Creator and Visibility set a new chat up (domain.ChatCreated).
	Creator    string `json:"creator,omitempty"`
	Visibility string `json:"visibility,omitempty"`
	// Type and Attributes are a message's (absent: text, none, as in every
	// entry written before messages had them). Attributes travel as a
	// string, so that no encoder rewrites their bytes (escaping HTML).
	Type       string `json:"type,omitempty"`
	Attributes string `json:"attributes,omitempty"`
	// NewAttributes: an edit replaces the message's attributes.
	NewAttributes bool `json:"new_attributes,omitempty"`
	// ReplyTo is the message a message answers (absent: none).
	ReplyTo int64     `json:"reply_to,omitempty"`
	At      time.Time `json:"at"`
	// Created is an edited message's creation time, when it was known.
	Created *time.Time `json:"created_at,omitempty"`
	// Idem is the request's idempotency key, for the worker to keep with
	// the row (a retry after Redis lost the key finds it there).
	Idem *idemWire `json:"idem,omitempty"`
	// Reason is a deletion's, when not a request's ("retention").
	Reason string `json:"reason,omitempty"`
}

type idemWire struct {
	Key         string `json:"key"`
	Fingerprint string `json:"fp"`
}

// numbered is what the sequencer allocates: the number (or, for an edit, the
// version) and the epoch of the sequence it came from. It leads the payload,
// so that a Redis script can write it in front of the rest (see Template).
type numbered struct {
	Number  int64 `json:"number"`
	Version int64 `json:"version,omitempty"`
	Epoch   int64 `json:"epoch,omitempty"`
}

func toWire(e domain.Event) (string, wire, error) {
	kind, w, err := toWireOf(e)
	if idem := domain.IdempotencyOf(e); idem.Key != "" {
		w.Idem = &idemWire{Key: idem.Key, Fingerprint: idem.Fingerprint}
	}
	return kind, w, err
}

func toWireOf(e domain.Event) (string, wire, error) {
	switch e := e.(type) {
	case domain.ChatCreated:
		return "chat.created", wire{numbered: numbered{Number: e.Number, Epoch: e.Epoch}, Token: string(e.Token), At: e.CreatedAt,
			Creator: string(e.Creator), Visibility: string(e.Visibility)}, nil
	case domain.MessageCreated:
		return "message.created", wire{numbered: numbered{Number: e.Number, Epoch: e.Epoch}, Token: string(e.Token), Chat: e.Chat, Body: e.Body, Author: e.Author,
			Type: e.Type, Attributes: e.Attributes, ReplyTo: e.ReplyTo, At: e.CreatedAt}, nil
	case domain.MessageEdited:
		w := wire{numbered: numbered{Number: e.Number, Version: e.Version, Epoch: e.Epoch}, Token: string(e.Token), Chat: e.Chat, Body: e.Body, Author: e.Author,
			Type: e.Type, Attributes: e.Attributes, NewAttributes: e.NewAttributes, ReplyTo: e.ReplyTo, At: e.EditedAt}
		if !e.CreatedAt.IsZero() {
			w.Created = &e.CreatedAt
		}
		return "message.edited", w, nil
	case domain.MessageDeleted:
		return "message.deleted", wire{numbered: numbered{Number: e.Number, Version: e.Version, Epoch: e.Epoch}, Token: string(e.Token), Chat: e.Chat, At: e.DeletedAt, Reason: e.Reason}, nil
	}
	return "", wire{}, fmt.Errorf("cannot encode %T", e)
}

// Encode turns an event into a Watermill message, with what ctx says of the
// request that caused it (see carried).
func Encode(ctx context.Context, e domain.Event) (*message.Message, error) {
	kind, w, err := toWire(e)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	msg := message.NewMessage(watermill.NewULID(), payload)
	msg.Metadata.Set(TypeKey, kind)
	for _, kv := range carried(ctx) {
		msg.Metadata.Set(kv[0], kv[1])
	}
	return msg, nil
}

// Entry is an event as a Redis stream entry in Watermill's wire format
// (redisstream's default marshaller), with its leading numbers left out:
// a script that allocates them appends the entry as
//
//	XADD stream * _watermill_message_uuid UUID payload '{"number":N,"version":V,"epoch":E,'..Rest metadata Metadata
//
// (AppendLua), so that the number and its event reach Redis in one atomic
// step.
type Entry struct {
	UUID     string
	Rest     string // the payload after its numbers: `"token":…}`
	Metadata string // msgpack, as redisstream writes it
}

// Template encodes the event, whose numbers are still to be allocated, as an
// Entry, with what ctx says of the request that caused it (see carried).
func Template(ctx context.Context, e domain.Event) (Entry, error) {
	kind, w, err := toWire(e)
	if err != nil {
		return Entry{}, err
	}
	w.numbered = numbered{}
	payload, err := json.Marshal(w)
	if err != nil {
		return Entry{}, err
	}
	// {"number":0,"token":…} → "token":…}
	rest, ok := strings.CutPrefix(string(payload), `{"number":0,`)
	if !ok {
		return Entry{}, fmt.Errorf("unexpected payload layout %.40q", payload)
	}
	md, err := metadataFor(ctx, kind)
	if err != nil {
		return Entry{}, err
	}
	return Entry{UUID: watermill.NewULID(), Rest: rest, Metadata: md}, nil
}

// Whole encodes a numbered event as a stream entry's fields (uuid,
// payload, metadata), for a relay that appends it later: the degraded
// write path numbers an event while the stream cannot be reached.
func Whole(ctx context.Context, e domain.Event) (uuid, payload, md string, err error) {
	kind, w, err := toWire(e)
	if err != nil {
		return "", "", "", err
	}
	b, err := json.Marshal(w)
	if err != nil {
		return "", "", "", err
	}
	md, err = metadataFor(ctx, kind)
	return watermill.NewULID(), string(b), md, err
}

// metadataFor is the metadata of an event of kind caused by the request ctx carries.
func metadataFor(ctx context.Context, kind string) (string, error) {
	md, err := metadataOf(kind)
	if err != nil {
		return "", err
	}
	for _, kv := range carried(ctx) {
		md = withEntry(md, kv[0], kv[1])
	}
	return md, nil
}

// carried is the metadata an event carries from the request that caused
// it: the request id (ports.WithRequestID) and, when the request is traced,
// its W3C trace context (traceparent, tracestate), for the worker's spans to
// join the request's trace.
func carried(ctx context.Context) [][2]string {
	var kv [][2]string
	if id := ports.RequestID(ctx); id != "" {
		kv = append(kv, [2]string{RequestIDKey, id})
	}
	if trace.SpanContextFromContext(ctx).IsValid() {
		tc := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, tc)
		for _, k := range tc.Keys() {
			kv = append(kv, [2]string{k, tc[k]})
		}
	}
	return kv
}

// withEntry adds key: value to md, a small msgpack map of strings (a fixmap,
// as the marshaller writes metadata of fewer than 15 entries), without
// decoding it: the events of a busy api each carry their request id, and
// re-marshalling every one would cost more than the event's script.
func withEntry(md, key, value string) string {
	if md == "" || md[0]&0xf0 != 0x80 || md[0] == 0x8f {
		panic(fmt.Sprintf("eventwire: metadata %q is not a small msgpack map", md))
	}
	b := make([]byte, 0, len(md)+len(key)+len(value)+6)
	b = append(b, md[0]+1) // fixmap 0x8N: one more entry
	b = append(b, md[1:]...)
	b = appendStr(b, key)
	return string(appendStr(b, value))
}

// appendStr appends s as a msgpack string (fixstr, str8 or str16: request
// ids are bounded well below 64 KiB).
func appendStr(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n < 256:
		b = append(b, 0xd9, byte(n))
	default:
		b = append(b, 0xda, byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// metadata is the encoded metadata of each event type: it never changes.
var metadata sync.Map

func metadataOf(kind string) (string, error) {
	if md, ok := metadata.Load(kind); ok {
		return md.(string), nil
	}
	msg := message.NewMessage("", nil)
	msg.Metadata.Set(TypeKey, kind)
	values, err := redisstream.DefaultMarshallerUnmarshaller{}.Marshal("", msg)
	if err != nil {
		return "", err
	}
	md, _ := values["metadata"].([]byte)
	metadata.Store(kind, string(md))
	return string(md), nil
}

// DecodeEntry reads an event back from a stream entry's field values.
func DecodeEntry(values map[string]any) (domain.Event, error) {
	msg, err := redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(values)
	if err != nil {
		return nil, fmt.Errorf("%w: entry: %v", domain.ErrInvalidEvent, err)
	}
	return Decode(msg)
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
	kind := msg.Metadata.Get(TypeKey)
	if kind != "chat.created" && w.Chat < 1 {
		return nil, fmt.Errorf("%w: bad chat number", domain.ErrInvalidEvent)
	}
	e, err := fromWire(kind, token, w)
	if err == nil && w.Idem != nil && w.Idem.Key != "" {
		e = domain.WithIdempotency(e, domain.Idempotency{Key: w.Idem.Key, Fingerprint: w.Idem.Fingerprint})
	}
	return e, err
}

func fromWire(kind string, token domain.Token, w wire) (domain.Event, error) {
	switch kind {
	case "chat.created":
		e := domain.ChatCreated{Token: token, Number: w.Number, CreatedAt: w.At, Epoch: w.Epoch}
		if w.Creator != "" {
			creator, err := domain.ParseUserID("creator", w.Creator)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", domain.ErrInvalidEvent, err)
			}
			e.Creator = creator
		}
		if w.Visibility != "" {
			v, err := domain.ParseVisibility(w.Visibility)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", domain.ErrInvalidEvent, err)
			}
			e.Visibility = v
		}
		return e, nil
	case "message.created":
		return domain.MessageCreated{Token: token, Chat: w.Chat, Number: w.Number, Body: w.Body, Author: w.Author,
			Type: w.Type, Attributes: w.Attributes, ReplyTo: w.ReplyTo, CreatedAt: w.At, Epoch: w.Epoch}, nil
	case "message.edited":
		e := domain.MessageEdited{Token: token, Chat: w.Chat, Number: w.Number, Body: w.Body, Author: w.Author,
			Type: w.Type, Attributes: w.Attributes, NewAttributes: w.NewAttributes, ReplyTo: w.ReplyTo, Version: w.Version, EditedAt: w.At, Epoch: w.Epoch}
		if w.Created != nil {
			e.CreatedAt = *w.Created
		}
		return e, nil
	case "message.deleted":
		return domain.MessageDeleted{Token: token, Chat: w.Chat, Number: w.Number, Version: w.Version, DeletedAt: w.At, Epoch: w.Epoch, Reason: w.Reason}, nil
	}
	return nil, fmt.Errorf("%w: unknown event type %q", domain.ErrInvalidEvent, kind)
}

// OutboxEntry encodes a numbered event as the entry a relay appends to the
// application's partition later (the degraded write path's outbox).
func (t Topics) OutboxEntry(ctx context.Context, e domain.Event) (ports.OutboxEntry, error) {
	uuid, payload, md, err := Whole(ctx, e)
	token, chat, _, _, _ := domain.Subject(e)
	return ports.OutboxEntry{Token: token, Chat: chat, Topic: t.For(token), UUID: uuid, Payload: payload, MD: md}, err
}
