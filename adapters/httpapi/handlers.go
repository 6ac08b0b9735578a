package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/keyauth"

	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// UseCases are what the handlers call.
type UseCases struct {
	Applications *application.Applications
	Chats        *application.Chats
	Messages     *application.Messages
	Search       *application.Search
	Live         *application.Live
	Members      *application.Members
	Reads        *application.Reads
	Webhooks     *application.Webhooks
	Feed         *application.Feed
	Lifecycle    *application.Lifecycle
	// Limiter counts the per-application budgets; nil: none.
	Limiter ports.RateLimiter
}

type handlers struct {
	uc        UseCases
	heartbeat time.Duration
}

func (h *handlers) createApplication(c *fiber.Ctx) error {
	name, err := decodeAttribute(c, "chat_application", "name")
	if err != nil {
		return err
	}
	idem, err := idempotency(c)
	if err != nil {
		return err
	}
	app, err := h.uc.Applications.Create(c.UserContext(), name, idem)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createdApplicationJSON{applicationJSON: toApplicationJSON(app.Application), Secret: app.Secret})
}

func (h *handlers) getApplication(c *fiber.Ctx) error {
	app, err := h.uc.Applications.Get(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	return c.JSON(toApplicationJSON(app))
}

// updateApplication renames the application and switches its access
// (either or both; without access, the name is required as it always was).
func (h *handlers) updateApplication(c *fiber.Ctx) error {
	var ch application.Change
	mode, hasMode, err := parseOptionalAttribute(c.Body(), mediaOf(c), "chat_application", "access")
	if err != nil {
		return err
	}
	name, hasName, err := parseOptionalAttribute(c.Body(), mediaOf(c), "chat_application", "name")
	if err != nil {
		return err
	}
	if ch.Retention, err = parseRetention(c.Body(), mediaOf(c), "chat_application"); err != nil {
		return err
	}
	if hasMode {
		ch.Access = &mode
	}
	if hasName || !hasMode && ch.Retention == nil {
		ch.Name = &name
	}
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	app, err := h.uc.Applications.Update(c.UserContext(), caller, ch)
	if err != nil {
		return err
	}
	return c.JSON(toApplicationJSON(app))
}

// rotateSecret answers a new secret, shown this once.
func (h *handlers) rotateSecret(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	secret, err := h.uc.Applications.RotateSecret(c.UserContext(), caller)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(secretJSON{Secret: secret})
}

func (h *handlers) revokePreviousSecret(c *fiber.Ctx) error {
	caller, err := callerOf(c)
	if err != nil {
		return err
	}
	if err := h.uc.Applications.RevokePrevious(c.UserContext(), caller); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// listApplications hands out every token, so only an operator may call it
// (see operatorOnly).
func (h *handlers) listApplications(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	var after domain.Token
	if raw := c.Query("cursor"); raw != "" {
		if after, err = decodeApplicationCursor(raw); err != nil {
			return err
		}
	}
	page, err := h.uc.Applications.List(c.UserContext(), after, limit)
	if err != nil {
		return err
	}
	return c.JSON(toPage(page, toApplicationJSON, encodeApplicationCursor))
}

func (h *handlers) createChat(c *fiber.Ctx) error {
	// The body is optional (visibility, members); if sent, it must be a JSON object.
	fields, err := decodeObject(c, "chat")
	if err != nil {
		return err
	}
	idem, err := idempotency(c)
	if err != nil {
		return err
	}
	chat, err := h.createChatAs(c, fields, func(creator domain.UserID, v domain.Visibility) (domain.Chat, error) {
		return h.uc.Chats.Create(eventCtx(c), c.Params("token"), creator, v, idem)
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toChatJSON(chat))
}

func (h *handlers) getChat(c *fiber.Ctx) error {
	chat, err := h.uc.Chats.Get(c.UserContext(), chatPath(c))
	if err != nil {
		return err
	}
	return c.JSON(toChatJSON(chat))
}

func (h *handlers) listChats(c *fiber.Ctx) error {
	page, err := numberPage(c)
	if err != nil {
		return err
	}
	chats, mine, err := h.userChats(c, page)
	if !mine {
		chats, err = h.uc.Chats.List(c.UserContext(), c.Params("token"), page)
	}
	if err != nil {
		return err
	}
	out := toPage(chats, toChatJSON, nil)
	out.NextCursor = numberCursor(page, chats, func(ch domain.Chat) int64 { return ch.Number })
	return c.JSON(out)
}

func (h *handlers) createMessage(c *fiber.Ctx) error {
	req, err := parseNewMessage(c.Body(), mediaOf(c))
	if err != nil {
		return err
	}
	idem, err := idempotency(c)
	if err != nil {
		return err
	}
	caller, _ := callerOf(c) // none: no such application, the queue's 404
	msg, err := h.uc.Messages.Create(eventCtx(c), caller, chatPath(c), req, idem)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toMessageJSON(msg))
}

func (h *handlers) editMessage(c *fiber.Ctx) error {
	change, err := parseMessageChange(c.Body(), mediaOf(c))
	if err != nil {
		return err
	}
	idem, err := idempotency(c)
	if err != nil {
		return err
	}
	msg, err := h.uc.Messages.Edit(eventCtx(c), messagePath(c), change, idem)
	if err != nil {
		return err
	}
	return c.JSON(toMessageJSON(msg))
}

func (h *handlers) deleteMessage(c *fiber.Ctx) error {
	idem, err := idempotency(c)
	if err != nil {
		return err
	}
	if err := h.uc.Messages.Delete(eventCtx(c), messagePath(c), idem); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) getMessage(c *fiber.Ctx) error {
	msg, err := h.uc.Messages.Get(c.UserContext(), messagePath(c))
	if err != nil {
		return err
	}
	return c.JSON(toMessageJSON(msg))
}

func (h *handlers) listMessages(c *fiber.Ctx) error {
	page, err := numberPage(c)
	if err != nil {
		return err
	}
	if c.Query("wait") != "" {
		return h.waitMessages(c, page)
	}
	return h.pageMessages(c, page)
}

func (h *handlers) pageMessages(c *fiber.Ctx, page domain.PageRequest[int64]) error {
	msgs, err := h.uc.Messages.List(c.UserContext(), chatPath(c), page)
	return messagesPage(c, page, msgs, err)
}

// messagesPage answers a page of messages paged by number (or err).
func messagesPage(c *fiber.Ctx, page domain.PageRequest[int64], msgs domain.Page[domain.Message], err error) error {
	if err != nil {
		return err
	}
	out := toMessagesJSON(msgs)
	out.NextCursor = numberCursor(page, msgs, func(m domain.Message) int64 { return m.Number })
	return c.JSON(out)
}

// searchMessages answers a page of hits; X-Search-Degraded says when the
// index was down and the answer came from the database fallback (ordered by
// number rather than relevance).
func (h *handlers) searchMessages(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	page := domain.PageRequest[domain.SearchCursor]{Limit: limit}
	if raw := c.Query("cursor"); raw != "" {
		if page.After, err = decodeSearchCursor(raw); err != nil {
			return err
		}
	}
	hits, degraded, err := h.uc.Search.Messages(c.UserContext(), chatPath(c), c.Query("q"), page)
	if err != nil {
		return err
	}
	if degraded {
		c.Set("X-Search-Degraded", "database-fallback")
	}
	return c.JSON(toPage(hits, toHitJSON, encodeSearchCursor))
}

// idempotency reads a request's Idempotency-Key: 1 to 255 visible ASCII
// characters. The request's fingerprint (method, path, media type, body)
// tells a retry from another request under the same key.
func idempotency(c *fiber.Ctx) (domain.Idempotency, error) {
	key := c.Get("Idempotency-Key")
	if key == "" {
		if len(c.Request().Header.PeekAll("Idempotency-Key")) > 0 {
			return domain.Idempotency{}, badRequest("Idempotency-Key must not be empty")
		}
		return domain.Idempotency{}, nil
	}
	if len(key) > 255 {
		return domain.Idempotency{}, badRequest("Idempotency-Key must be at most 255 characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return domain.Idempotency{}, badRequest("Idempotency-Key must be visible ASCII characters")
		}
	}
	// A user's key is theirs alone: another user's request with the same
	// key is another request (API.md: scoped to the application and the caller).
	if caller, err := callerOf(c); err == nil && !caller.IsApp() {
		// Hashed with the user: as short as any key, whatever the user id.
		key = "user:" + userScope(caller.User+"\x00"+domain.UserID(key))
	}
	h := sha256.New()
	for _, part := range [][]byte{c.Request().Header.Method(), c.Request().URI().Path(), c.Request().Header.ContentType(), c.Body()} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return domain.Idempotency{Key: key, Fingerprint: hex.EncodeToString(h.Sum(nil)[:16])}, nil
}

// eventCtx is the context of a request that causes an event: it carries the
// request id along with the event, to the worker's log lines about it.
func eventCtx(c *fiber.Ctx) context.Context {
	return ports.WithRequestID(c.UserContext(), requestID(c))
}

type operatorKey struct{}

// operatorOnly lets through requests with the operator's bearer token
// (Fiber's keyauth, compared in constant time); without a configured token
// the route is disabled.
func operatorOnly(adminToken string) fiber.Handler {
	if adminToken == "" {
		return func(*fiber.Ctx) error {
			return &apiError{status: fiber.StatusForbidden, code: "forbidden", message: "listing applications is disabled: no admin token is configured"}
		}
	}
	return keyauth.New(keyauth.Config{
		AuthScheme: "Bearer",
		ContextKey: operatorKey{},
		Validator: func(_ *fiber.Ctx, key string) (bool, error) {
			return subtle.ConstantTimeCompare([]byte(key), []byte(adminToken)) == 1, nil
		},
		ErrorHandler: func(c *fiber.Ctx, _ error) error {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="chat operator"`)
			return &apiError{status: fiber.StatusUnauthorized, code: "unauthorized", message: "operator credentials are missing or wrong"}
		},
	})
}

func chatPath(c *fiber.Ctx) application.ChatPath {
	return application.ChatPath{Token: c.Params("token"), Chat: c.Params("chat")}
}

func messagePath(c *fiber.Ctx) application.MessagePath {
	return application.MessagePath{Token: c.Params("token"), Chat: c.Params("chat"), Message: c.Params("message")}
}
