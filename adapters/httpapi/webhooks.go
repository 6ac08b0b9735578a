package httpapi

import (
	"encoding/json"
	"errors"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/domain"
)

// The routes of an application's webhook endpoints, and the JSON of a delivery.

type webhookJSON struct {
	ID         string     `json:"id"`
	URL        string     `json:"url"`
	Events     []string   `json:"events"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at"`
}

type createdWebhookJSON struct {
	webhookJSON
	Secret string `json:"secret"` // shown here only
}

type deliveryJSON struct {
	EventID     string     `json:"event_id"`
	Position    string     `json:"position"`
	Type        string     `json:"type"`
	Chat        int64      `json:"chat"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	LastStatus  *int       `json:"last_status"`
	LastError   *string    `json:"last_error"`
	NextAttempt *time.Time `json:"next_attempt"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toWebhookJSON(e domain.WebhookEndpoint) webhookJSON {
	out := webhookJSON{ID: e.ID, URL: e.URL, Events: e.Events, CreatedAt: e.CreatedAt}
	if !e.DisabledAt.IsZero() {
		out.DisabledAt = &e.DisabledAt
	}
	return out
}

func toDeliveryJSON(d domain.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{EventID: d.EventID, Position: d.Position, Type: d.Type, Chat: d.Chat, State: d.State, Attempts: d.Attempts, CreatedAt: d.CreatedAt}
	if d.LastStatus != 0 {
		out.LastStatus = &d.LastStatus
	}
	if d.LastError != "" {
		out.LastError = &d.LastError
	}
	if d.State == domain.DeliveryPending {
		out.NextAttempt = &d.NextAttempt
	}
	return out
}

func (h *handlers) createWebhook(c *fiber.Ctx) error {
	obj, err := decodeObject(c, "webhook")
	if err != nil {
		return err
	}
	var url string
	var events []string
	if raw, ok := obj["url"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &url) != nil {
			return &domain.ValidationError{Field: "url", Reason: "must be a string"}
		}
	}
	if url == "" {
		return &domain.ValidationError{Field: "url", Reason: "is required"}
	}
	if raw, ok := obj["events"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &events) != nil {
			return &domain.ValidationError{Field: "events", Reason: "must be an array of event types"}
		}
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	e, secret, err := h.uc.Webhooks.Register(c.UserContext(), caller, url, events)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createdWebhookJSON{webhookJSON: toWebhookJSON(e), Secret: secret})
}

func (h *handlers) listWebhooks(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	list, err := h.uc.Webhooks.List(c.UserContext(), caller)
	if err != nil {
		return err
	}
	out := pageJSON[webhookJSON]{Data: make([]webhookJSON, len(list))}
	for i, e := range list {
		out.Data[i] = toWebhookJSON(e)
	}
	return c.JSON(out)
}

func (h *handlers) deleteWebhook(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	if err := h.uc.Webhooks.Remove(c.UserContext(), caller, c.Params("webhook")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// replayWebhook sends again what the endpoint got after a position:
// {"after": "<position>"} (absent or null: everything).
func (h *handlers) replayWebhook(c *fiber.Ctx) error {
	obj, err := decodeObject(c, "webhook")
	if err != nil {
		return err
	}
	after := "0-0"
	if raw, ok := obj["after"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &after) != nil {
			return &domain.ValidationError{Field: "after", Reason: "must be an event position (a string)"}
		}
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	n, err := h.uc.Webhooks.Replay(c.UserContext(), caller, c.Params("webhook"), after)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"replayed": n})
}

// A delivery log's cursor is the last delivery's event id (public: it is
// the webhook-id the receiver saw).
var deliveryCursorForm = regexp.MustCompile(`^evt_[0-9a-f]{32}$`)

func (h *handlers) listDeliveries(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	cursor := c.Query("cursor")
	if cursor != "" && !deliveryCursorForm.MatchString(cursor) {
		return errBadCursor
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	page, err := h.uc.Webhooks.Deliveries(c.UserContext(), caller, c.Params("webhook"), cursor, limit)
	if err != nil {
		return err
	}
	out := toPage(page, toDeliveryJSON, func(d domain.WebhookDelivery) string { return d.EventID })
	return c.JSON(out)
}

// deliveryBody is the JSON {type, timestamp, data} of a delivery.
type deliveryBody struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

type chatMessageJSON struct {
	Chat int64 `json:"chat"`
	messageJSON
}

type chatDeletionJSON struct {
	Chat      int64     `json:"chat"`
	Number    int64     `json:"number"`
	DeletedAt time.Time `json:"deleted_at"`
	Reason    string    `json:"reason,omitempty"` // "retention" when it expired
}

// WebhookBody is the body of an event's deliveries: the message's
// representation, as live streams carry it, with its chat's number.
func WebhookBody(e domain.Event) ([]byte, error) {
	_, chat, _, _, at := domain.Subject(e)
	b := deliveryBody{Type: domain.EventType(e), Timestamp: at.UTC()}
	switch ev := e.(type) {
	case domain.MessageCreated:
		b.Data = chatMessageJSON{chat, toMessageJSON(ev.Message())}
	case domain.MessageEdited:
		b.Data = chatMessageJSON{chat, toMessageJSON(ev.Message())}
	case domain.MessageDeleted:
		b.Data = chatDeletionJSON{Chat: chat, Number: ev.Number, DeletedAt: ev.DeletedAt, Reason: ev.Reason}
	default:
		return nil, errNotDelivered
	}
	return json.Marshal(b)
}

var errNotDelivered = errors.New("webhooks do not carry this event")
