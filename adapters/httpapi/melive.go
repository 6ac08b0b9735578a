package httpapi

import (
	"bufio"
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/domain"
)

// followUser streams all the user's chats as Server-Sent Events (API.md,
// "Per-user state"): the chats' message events as a chat's stream has
// them, each with its chat and an id that resumes the whole stream;
// member.added and member.removed (a removal is the chat's last event),
// read.updated and typing, which are notices: no id, not resumed. It
// follows the user's membership while open (application.Live.FollowUser).
func (h *handlers) followUser(c *fiber.Ctx) error {
	after, err := h.resumeFrom(c)
	if err != nil {
		return err
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	st, err := h.uc.Live.FollowUser(c.UserContext(), caller, after)
	if err != nil {
		return err
	}
	return h.serveStream(c, st, streamRules{
		ended: func() bool { return !caller.Until.IsZero() && time.Now().After(caller.Until) },
		// Checked in the api's memory, where a removal lands from Redis
		// within a hop: nothing of a chat reaches a user removed from it,
		// also before the removal's notice reaches this instance.
		skip: func(e domain.LiveEvent) bool {
			if n := e.Notice; n != nil && n.User == caller.User && n.Kind != domain.NoticeTyping {
				return false // their own: a removal above all
			}
			return !h.uc.Members.IsMember(context.Background(), caller, e.Chat().Number)
		},
		write: writeUserLive,
		reset: "the position asked for is no longer kept; reload your chats and follow from now",
	})
}

type noticeJSON struct {
	Chat        int64   `json:"chat"`
	UserID      *string `json:"user_id,omitempty"`
	Role        string  `json:"role,omitempty"`
	ReadThrough *int64  `json:"read_through,omitempty"`
}

// writeUserLive writes an event of a user's stream: a chat's event with
// its chat, or a notice.
func writeUserLive(w *bufio.Writer, e domain.LiveEvent) {
	n := e.Notice
	if n == nil {
		writeLive(w, e, true)
		return
	}
	out := noticeJSON{Chat: n.Chat}
	user := string(n.User)
	switch n.Kind {
	case domain.NoticeReadUpdated:
		out.ReadThrough = &n.Through
	case domain.NoticeMemberAdded:
		out.UserID, out.Role = &user, string(n.Role)
	default: // typing, member.removed
		out.UserID = &user
	}
	writeEvent(w, "", string(n.Kind), out)
}

// typingKey is where mayType leaves the chat's number.
type typingKey struct{}

// mayType lets a member with write access through, before the typing
// budget is spent (the application itself types nothing: 403).
func (h *handlers) mayType(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	chat, err := h.uc.Members.MayType(c.UserContext(), caller, c.Params("chat"))
	if err != nil {
		return err
	}
	c.Locals(typingKey{}, chat)
	return c.Next()
}

// typing tells the chat's other members, on every api instance, that the
// user is typing: nothing is stored; a client shows it for 5 s.
func (h *handlers) typing(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	chat, _ := c.Locals(typingKey{}).(int64)
	if err := h.uc.Live.Typing(c.UserContext(), caller, chat); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
