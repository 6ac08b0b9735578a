package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"
)

// WebhookEventTypes are the events an endpoint can ask for, in the order a
// filter is kept.
var WebhookEventTypes = []string{"message.created", "message.edited", "message.deleted"}

// WebhookEndpoint is one of an application's receivers of events.
type WebhookEndpoint struct {
	ID        string
	URL       string
	Events    []string // the types it asked for, in WebhookEventTypes' order
	CreatedAt time.Time
}

// Wants says whether the endpoint asked for events of this type.
func (e WebhookEndpoint) Wants(kind string) bool { return slices.Contains(e.Events, kind) }

// WebhookEventFilter checks an endpoint's filter: none is every type; a
// type that does not exist is a ValidationError (422).
func WebhookEventFilter(asked []string) ([]string, error) {
	if len(asked) == 0 {
		return slices.Clone(WebhookEventTypes), nil
	}
	out := make([]string, 0, len(WebhookEventTypes))
	for _, kind := range asked {
		if !slices.Contains(WebhookEventTypes, kind) {
			return nil, &ValidationError{Field: "events", Reason: "unknown event type " + strconv.Quote(kind)}
		}
	}
	for _, kind := range WebhookEventTypes {
		if slices.Contains(asked, kind) {
			out = append(out, kind)
		}
	}
	return out, nil
}

// NewWebhookID draws an endpoint's public id.
func NewWebhookID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails on supported platforms
	return "wh_" + hex.EncodeToString(b)
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event on its way to one endpoint, as its log shows it.
type WebhookDelivery struct {
	EventID     string
	Type        string
	Chat        int64
	State       string // DeliveryPending, DeliveryDelivered or DeliveryFailed
	Attempts    int
	LastStatus  int    // the receiver's last HTTP status; 0 when none came
	LastError   string // why the last attempt without a status failed
	NextAttempt time.Time
	CreatedAt   time.Time // the event's
}

// EventType is the name an event has on the wire of webhooks and live
// streams; "" for events webhooks do not carry.
func EventType(e Event) string {
	switch e.(type) {
	case MessageCreated:
		return "message.created"
	case MessageEdited:
		return "message.edited"
	case MessageDeleted:
		return "message.deleted"
	}
	return ""
}

// EventID is an event's stable identity (a delivery's webhook-id): made of
// what the event is (its application, chat, kind, number, version and the
// epoch its sequence was in), so that every redelivery of it, by any
// worker, after any restart, has the same one, and two events never share it.
func EventID(e Event) string {
	token, chat, number, version, _ := Subject(e)
	epoch := int64(0)
	switch e := e.(type) {
	case MessageCreated:
		epoch = e.Epoch
	case MessageEdited:
		epoch = e.Epoch
	case MessageDeleted:
		epoch = e.Epoch
	case ChatCreated:
		epoch = e.Epoch
	}
	h := sha256.New()
	for _, part := range []string{string(token), EventType(e), strconv.FormatInt(chat, 10), strconv.FormatInt(number, 10),
		strconv.FormatInt(version, 10), strconv.FormatInt(epoch, 10)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "evt_" + hex.EncodeToString(h.Sum(nil)[:16])
}
