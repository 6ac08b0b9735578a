package httpapi

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/domain"
)

// The routes of an application's data lifecycle (API.md "Data lifecycle"),
// and the JSON of their jobs.

type jobJSON struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	State      string     `json:"state"`
	Done       int64      `json:"done"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func toJobJSON(j domain.Job) jobJSON {
	out := jobJSON{ID: j.ID, Kind: string(j.Kind), State: string(j.State), Done: j.Done, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
	if !j.FinishedAt.IsZero() {
		out.FinishedAt = &j.FinishedAt
	}
	return out
}

// deleteApplication answers 202 with the job that removes the
// application's data; the application is refused from this answer on.
func (h *handlers) deleteApplication(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	job, err := h.uc.Lifecycle.DeleteApplication(c.UserContext(), caller)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(toJobJSON(job))
}

// retentionReason is what a bad retention_days is told.
const retentionReason = "must be a whole number of days from 1 to 36500, or null"

// parseRetention reads retention_days, bare or wrapped the Rails way: nil
// when absent, 0 for null (kept forever), else the days (checked by the
// domain). A form sends it as text.
func parseRetention(body []byte, m media, wrapper string) (*int64, error) {
	// Bare or wrapped, not both, as every attribute (parseAttributes).
	fields, err := parseAttributes(body, m, wrapper, "retention_days")
	if err != nil {
		return nil, err
	}
	raw, ok := fields["retention_days"]
	if !ok {
		return nil, nil
	}
	days := int64(0)
	if !isNull(raw) {
		var text string
		if json.Unmarshal(raw, &text) == nil {
			raw = json.RawMessage(text)
		}
		if err := json.Unmarshal(raw, &days); err != nil || days == 0 {
			return nil, &domain.ValidationError{Field: "retention_days", Reason: retentionReason}
		}
	}
	return &days, nil
}

type chatRetentionJSON struct {
	Number        int64  `json:"number"`
	RetentionDays *int64 `json:"retention_days"`
}

// retentionJSON is days as the API shows it: null for none.
func retentionJSON(days int64) *int64 {
	if days == 0 {
		return nil
	}
	return &days
}

// updateChat sets a chat's retention_days (null: its application's
// applies), the one thing of a chat a client changes.
func (h *handlers) updateChat(c *fiber.Ctx) error {
	days, err := parseRetention(c.Body(), mediaOf(c), "chat")
	if err != nil {
		return err
	}
	if days == nil {
		return &domain.ValidationError{Field: "retention_days", Reason: "is required"}
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	chat, err := domain.ParseNumber("chat number", c.Params("chat"))
	if err != nil {
		return err
	}
	if err := h.uc.Lifecycle.SetChatRetention(c.UserContext(), caller, chat, *days); err != nil {
		return err
	}
	return c.JSON(chatRetentionJSON{Number: chat, RetentionDays: retentionJSON(*days)})
}
