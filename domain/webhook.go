package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
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
	// DisabledAt is when it was disabled for failing for days (zero: it
	// is not); nothing is sent to it until a replay.
	DisabledAt time.Time
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

// NewRecordID draws the id of a record in a delivery log that is no
// event's (the endpoint's WebhookDisabled), of an event id's form.
func NewRecordID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails on supported platforms
	return "evt_" + hex.EncodeToString(b)
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDisabled is the type of the record an endpoint's delivery log
// gets when the endpoint is disabled.
const WebhookDisabled = "webhook.disabled"

// WebhookDelivery is one event on its way to one endpoint, as its log shows
// it (or the endpoint's WebhookDisabled record).
type WebhookDelivery struct {
	EventID     string
	Position    string // the event's in the log, ValidEventPosition's form
	Type        string
	Chat        int64
	State       string // DeliveryPending, DeliveryDelivered or DeliveryFailed
	Attempts    int
	LastStatus  int    // the receiver's last HTTP status; 0 when none came
	LastError   string // why the last attempt without a status failed
	NextAttempt time.Time
	CreatedAt   time.Time // the event's
}

var eventPosition = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// ValidEventPosition says whether s has the form of an event's position in
// its application's log ("<milliseconds>-<sequence>", a Redis stream
// entry's ID; the embedded profile makes them alike). "0-0" is before all.
func ValidEventPosition(s string) bool { return eventPosition.MatchString(s) }

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

// FeedEvent is an event of an application's pull feed: its position, and
// its representation as webhooks carry it ({type, timestamp, data}).
type FeedEvent struct {
	Position string
	Body     []byte
}
