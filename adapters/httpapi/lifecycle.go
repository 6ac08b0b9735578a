package httpapi

import (
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
