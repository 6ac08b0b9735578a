package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
)

// feed is the application's pull feed: GET …/events?after=<position>
// &wait=30s&limit=N answers the events after the position, each with its
// position, and next_after, the position to ask after next (the request's
// own when none came); with wait, it holds until one comes or wait ends.
func (h *handlers) feed(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	after := c.Query("after", "0-0")
	var wait time.Duration
	if raw := c.Query("wait"); raw != "" {
		if wait, err = time.ParseDuration(raw); err != nil || wait <= 0 || wait > maxWait {
			return badRequest(fmt.Sprintf("wait must be a duration such as 30s, at most %s", maxWait))
		}
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	events, err := h.uc.Feed.Events(c.UserContext(), caller, after, limit+1, wait)
	if err != nil {
		return err
	}
	more := len(events) > limit
	if more {
		events = events[:limit]
	}
	// Each item is the event's stored representation ({type, timestamp,
	// data}, as webhooks carry it) with its position put first.
	var out bytes.Buffer
	out.WriteString(`{"data":[`)
	next := after
	for i, e := range events {
		if i > 0 {
			out.WriteByte(',')
		}
		pos, _ := json.Marshal(e.Position)
		out.WriteString(`{"position":`)
		out.Write(pos)
		out.WriteByte(',')
		out.Write(bytes.TrimPrefix(e.Body, []byte("{")))
		next = e.Position
	}
	nextJSON, _ := json.Marshal(next)
	fmt.Fprintf(&out, `],"has_more":%t,"next_after":%s}`, more, nextJSON)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(out.Bytes())
}
