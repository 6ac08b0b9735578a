package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
)

// mayChat lets a request through when its caller may do a in the chat of
// the path: the application itself always, a user by their role and the
// chat's visibility (application.Members). It runs after authenticate and
// before the rate limit and the handler: a refusal changes and spends
// nothing, and a chat the user may not see is a 404 like an unknown one.
func (h *handlers) mayChat(a domain.Action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		caller, err := callerOf(c)
		if err != nil {
			return c.Next() // no such application: the handler's 404
		}
		if err := h.uc.Members.Authorize(c.UserContext(), caller, c.Params("chat"), a); err != nil {
			return err
		}
		return c.Next()
	}
}

// mayChangeMessage: an edit or a delete, which a user may make of their
// own messages and a moderator of any (the application itself: all).
func (h *handlers) mayChangeMessage(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return c.Next()
	}
	ctx := c.UserContext()
	author := func() (string, error) { return h.uc.Messages.AuthorOf(ctx, messagePath(c)) }
	if err := h.uc.Members.MayChangeMessage(ctx, caller, c.Params("chat"), author); err != nil {
		return err
	}
	return c.Next()
}

type memberJSON struct {
	UserID   string    `json:"user_id"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

func toMemberJSON(m domain.Member) memberJSON {
	return memberJSON{UserID: string(m.User), Role: string(m.Role), JoinedAt: m.JoinedAt}
}

func (h *handlers) putMember(c *fiber.Ctx) error {
	role, err := decodeAttribute(c, "member", "role")
	if err != nil {
		return err
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	m, err := h.uc.Members.Put(c.UserContext(), caller, chatPath(c), c.Params("user_id"), role)
	if err != nil {
		return err
	}
	return c.JSON(toMemberJSON(m))
}

func (h *handlers) removeMember(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	if err := h.uc.Members.Remove(c.UserContext(), caller, chatPath(c), c.Params("user_id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) listMembers(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	page := domain.PageRequest[domain.UserID]{Limit: limit}
	if raw := c.Query("cursor"); raw != "" {
		b, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil || !utf8.Valid(b) || len(b) == 0 {
			return errBadCursor
		}
		page.After = domain.UserID(b)
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	members, err := h.uc.Members.List(c.UserContext(), caller, chatPath(c), page)
	if err != nil {
		return err
	}
	return c.JSON(toPage(members, toMemberJSON, func(m domain.Member) string {
		return base64.RawURLEncoding.EncodeToString([]byte(m.User))
	}))
}

// newChat is what a chat's creation may say: its visibility, and (the
// application only) its first members.
type newChat struct {
	Visibility domain.Visibility
	Members    []domain.Member
}

func parseNewChat(fields map[string]json.RawMessage) (newChat, error) {
	out := newChat{Visibility: domain.VisibilityPrivate}
	if raw, ok := fields["visibility"]; ok && !isNull(raw) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return out, badRequest("visibility must be a string")
		}
		v, err := domain.ParseVisibility(s)
		if err != nil {
			return out, err
		}
		out.Visibility = v
	}
	if raw, ok := fields["members"]; ok && !isNull(raw) {
		var ms []struct {
			UserID *string `json:"user_id"`
			Role   *string `json:"role"`
		}
		bad := badRequest(`members must be a list of {"user_id": "…", "role": "member" or "moderator"}`)
		if err := json.Unmarshal(raw, &ms); err != nil || hasNullMember(raw) {
			return out, bad
		}
		if len(ms) > domain.MaxInitialMembers {
			return out, &domain.ValidationError{Field: "members", Reason: "at most 100: add more one at a time"}
		}
		for _, m := range ms {
			if m.UserID == nil {
				return out, bad
			}
			role := string(domain.RoleMember)
			if m.Role != nil {
				role = *m.Role
			}
			member, err := domain.NewMember(*m.UserID, role)
			if err != nil {
				return out, err
			}
			out.Members = append(out.Members, member)
		}
	}
	return out, nil
}

// createChatAs checks what the caller may create, has create take the
// number (its event carrying the chat's setup: application.Setup), and
// records the chat's members and visibility.
func (h *handlers) createChatAs(c *fiber.Ctx, fields map[string]json.RawMessage, create func(domain.UserID, domain.Visibility) (domain.Chat, error)) (domain.Chat, error) {
	spec, err := parseNewChat(fields)
	if err != nil {
		return domain.Chat{}, err
	}
	caller, err := callerOf(c)
	if err != nil {
		return create("", "") // no such application: create's 404
	}
	if err := h.uc.Members.MayCreateChat(caller, spec.Members); err != nil {
		return domain.Chat{}, err
	}
	chat, err := create(application.Setup(caller, spec.Visibility))
	if err != nil {
		return chat, err
	}
	return chat, h.uc.Members.Created(c.UserContext(), caller, chat.Number, spec.Members, spec.Visibility)
}

// userChats answers a user the chats they are a member of.
func (h *handlers) userChats(c *fiber.Ctx, page domain.PageRequest[int64]) (domain.Page[domain.Chat], bool, error) {
	caller, err := callerOf(c)
	if err != nil || caller.IsApp() {
		return domain.Page[domain.Chat]{}, false, nil
	}
	p, err := h.uc.Members.Chats(c.UserContext(), caller, page)
	return p, true, err
}

// hasNullMember says whether a member, or a member's field, is null: a
// type the document does not allow, which decoding would take for absent.
func hasNullMember(raw json.RawMessage) bool {
	var ms []map[string]json.RawMessage
	if json.Unmarshal(raw, &ms) != nil {
		return true
	}
	for _, m := range ms {
		if m == nil {
			return true
		}
		for _, v := range m {
			if isNull(v) {
				return true
			}
		}
	}
	return false
}
