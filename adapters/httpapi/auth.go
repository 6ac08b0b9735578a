package httpapi

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/domain"
)

// callerKey is where authenticate leaves the request's domain.Caller.
type callerKey struct{}

// authenticate makes every request to an application's routes a caller:
// its bearer credential (the application's secret, or a user token)
// checked against the application's access, or in an open application the
// token in the path alone. A refusal is a 401 before the route's handler, the rate limit
// or the ETag runs: nothing is changed, spent or served. An application
// that does not exist is left to the handler (its own 404); one deleted is
// a 404 here.
func (h *handlers) authenticate(c *fiber.Ctx) error {
	credential, sent, ok := bearer(c)
	return h.authenticateWith(c, credential, sent, ok)
}

// authenticateLive is authenticate for the live endpoints (SSE, and the
// long poll: a request live says is one), which a browser's EventSource
// reaches without headers: they also take a user token, never a secret, as
// ?access_token=. The query string is in no log line, span or metric
// (they name the route).
func (h *handlers) authenticateLive(live func(*fiber.Ctx) bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		credential, sent, ok := bearer(c)
		if q := c.Query("access_token"); q != "" && !sent && live(c) {
			if domain.LooksLikeSecret(q) {
				return unauthorized(c, true)
			}
			credential, sent, ok = q, true, true
		}
		return h.authenticateWith(c, credential, sent, ok)
	}
}

func (h *handlers) authenticateWith(c *fiber.Ctx, credential string, sent, ok bool) error {
	if !ok {
		return unauthorized(c, sent)
	}
	caller, err := h.uc.Applications.Authenticate(c.UserContext(), c.Params("token"), credential)
	var notFound *domain.NotFoundError
	switch {
	case errors.Is(err, domain.ErrUnauthorized):
		return unauthorized(c, sent)
	case errors.Is(err, domain.ErrDeleted):
		return err // deleted: its sequences may still number a create
	case errors.As(err, &notFound), errors.Is(err, domain.ErrNotFound):
		return c.Next()
	case err != nil:
		return err
	}
	c.Locals(callerKey{}, caller)
	return c.Next()
}

// callerOf is the caller authenticate found; none when the application
// does not exist.
func callerOf(c *fiber.Ctx) (domain.Caller, error) {
	caller, ok := c.Locals(callerKey{}).(domain.Caller)
	if !ok {
		return domain.Caller{}, domain.NotFoundf("application not found")
	}
	return caller, nil
}

// bearer reads the Authorization header: the credential, whether one was
// sent at all, and whether what was sent is a bearer credential.
func bearer(c *fiber.Ctx) (credential string, sent, ok bool) {
	raw := strings.TrimSpace(c.Get(fiber.HeaderAuthorization))
	if raw == "" {
		return "", false, true
	}
	scheme, rest, _ := strings.Cut(raw, " ")
	credential = strings.TrimSpace(rest)
	if !strings.EqualFold(scheme, "Bearer") || credential == "" {
		return "", true, false
	}
	return credential, true, true
}

// unauthorized is the 401 of RFC 6750: a bare challenge when no credential
// was sent, invalid_token when one was and is not good (which one, or why,
// is not said).
func unauthorized(c *fiber.Ctx, sent bool) error {
	if sent {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
		return &apiError{status: fiber.StatusUnauthorized, code: "unauthorized", message: "the credential is not valid for this application"}
	}
	c.Set(fiber.HeaderWWWAuthenticate, "Bearer")
	return &apiError{status: fiber.StatusUnauthorized, code: "unauthorized", message: "this application is protected: send its secret or a user token as Authorization: Bearer <credential>"}
}
