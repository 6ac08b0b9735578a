package httpapi

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/domain"
)

// A user's own state: read positions and the chat list (API.md
// "Per-user state"). The application's own credential has no user: 403.

type lastMessageJSON struct {
	Number    int64     `json:"number"`
	Author    *string   `json:"author"`
	Preview   string    `json:"preview"`
	CreatedAt time.Time `json:"created_at"`
}

type myChatJSON struct {
	Number         int64            `json:"number"`
	UnreadCount    int64            `json:"unread_count"`
	ReadThrough    int64            `json:"read_through"`
	LastMessage    *lastMessageJSON `json:"last_message"`
	LastActivityAt *time.Time       `json:"last_activity_at"`
}

func toMyChatJSON(s domain.ChatSummary) myChatJSON {
	out := myChatJSON{Number: s.Chat, UnreadCount: s.Unread, ReadThrough: s.ReadThrough}
	if !s.ActiveAt.IsZero() {
		at := s.ActiveAt
		out.LastActivityAt = &at
	}
	if lm := s.LastMessage; lm != nil {
		out.LastMessage = &lastMessageJSON{Number: lm.Number, Preview: lm.Preview, CreatedAt: lm.CreatedAt}
		if lm.Author != "" {
			a := string(lm.Author)
			out.LastMessage.Author = &a
		}
	}
	return out
}

// markRead: PUT …/chats/{n}/read {"through": N}.
func (h *handlers) markRead(c *fiber.Ctx) error {
	obj, err := decodeObject(c, "read")
	if err != nil {
		return err
	}
	raw, ok := obj["through"]
	if !ok || isNull(raw) {
		return &domain.ValidationError{Field: "through", Reason: "is required: the number of the last message read"}
	}
	through, err := parseThrough(raw)
	if err != nil {
		return err
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	s, err := h.uc.Reads.MarkRead(c.UserContext(), caller, chatPath(c), through)
	if err != nil {
		return err
	}
	return c.JSON(toMyChatJSON(s))
}

// parseThrough takes a JSON integer, or its digits as a string (a form's).
func parseThrough(raw json.RawMessage) (int64, error) {
	bad := badRequest("through must be a message number: an integer, 0 or more")
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, bad
		}
		if n, err = strconv.ParseInt(s, 10, 64); err != nil {
			return 0, bad
		}
	}
	if n < 0 {
		return 0, bad
	}
	return n, nil
}

// myChats: GET /chat_applications/{token}/me/chats.
func (h *handlers) myChats(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	var after *domain.ActivityPosition
	if raw := c.Query("cursor"); raw != "" {
		if after, err = decodeActivityCursor(raw); err != nil {
			return err
		}
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	p, err := h.uc.Reads.MyChats(c.UserContext(), caller, after, limit)
	if err != nil {
		return err
	}
	return c.JSON(toPage(p, toMyChatJSON, encodeActivityCursor))
}
