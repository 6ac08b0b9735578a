package httpapi

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/domain"
)

// apiError is an error the http layer itself raises (bad JSON, bad query,
// credentials), already carrying its status and code.
type apiError struct {
	status  int
	code    string
	message string
	// retryAfter, in seconds, overrides the default Retry-After of a 429 or 503.
	retryAfter int
}

func (e *apiError) Error() string { return e.message }

func badRequest(msg string) error {
	return &apiError{status: fiber.StatusBadRequest, code: "bad_request", message: msg}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// retryAfterSeconds is what 429 and 503 answers suggest waiting.
const retryAfterSeconds = 1

// codeOverloaded: a write refused because its queue is full
// (domain.ErrOverloaded); overloadedRetryAfter is what it suggests waiting,
// about as long as the api takes to see the queue shorter again.
const (
	codeOverloaded       = "overloaded"
	overloadedRetryAfter = 5
)

// classify maps any error to its status, code and client-facing message. It
// is the one place where errors become HTTP: handlers only return them.
func classify(err error) (int, string, string) {
	var api *apiError
	var validation *domain.ValidationError
	var tooLarge *domain.TooLargeError
	var bad *domain.MalformedError
	var notFound *domain.NotFoundError
	var fe *fiber.Error
	switch {
	case errors.As(err, &api):
		return api.status, api.code, api.message
	case errors.As(err, &validation):
		return fiber.StatusUnprocessableEntity, "validation_failed", validation.Error()
	case errors.As(err, &tooLarge):
		return fiber.StatusRequestEntityTooLarge, "payload_too_large", tooLarge.Error()
	case errors.As(err, &bad):
		return fiber.StatusBadRequest, "bad_request", bad.Error()
	case errors.Is(err, domain.ErrForbidden):
		return fiber.StatusForbidden, "forbidden", "this credential does not allow this"
	case errors.Is(err, domain.ErrIdempotencyKeyReused):
		return fiber.StatusUnprocessableEntity, "idempotency_key_reused", "this Idempotency-Key was used with another request"
	case errors.Is(err, domain.ErrTooManyStreams):
		return fiber.StatusTooManyRequests, "too_many_streams", "too many live streams are open; close one or retry later"
	case errors.Is(err, domain.ErrIdempotencyKeyInUse):
		return fiber.StatusConflict, "idempotency_key_in_use", "the first request with this Idempotency-Key is still in progress; retry later"
	case errors.As(err, &notFound):
		return fiber.StatusNotFound, "not_found", notFound.Message
	case errors.Is(err, domain.ErrNotFound):
		return fiber.StatusNotFound, "not_found", "not found"
	case errors.Is(err, domain.ErrOverloaded):
		return fiber.StatusServiceUnavailable, codeOverloaded, "writes are coming faster than they are applied; retry later"
	case errors.Is(err, domain.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		var u *domain.UnavailableError
		what := "a dependency"
		if errors.As(err, &u) {
			what = u.Dependency
		}
		return fiber.StatusServiceUnavailable, "unavailable", what + " is unavailable; retry later"
	case errors.As(err, &fe):
		return fiberError(fe)
	}
	return fiber.StatusInternalServerError, "internal", "internal error"
}

// fiberError answers Fiber's and the HTTP parser's own errors with fixed
// messages: theirs may quote the raw request, credentials included.
func fiberError(fe *fiber.Error) (int, string, string) {
	switch fe.Code {
	case fiber.StatusNotFound:
		return fe.Code, "not_found", "no such route"
	case fiber.StatusMethodNotAllowed:
		return fe.Code, "method_not_allowed", "method not allowed on this route"
	case fiber.StatusRequestEntityTooLarge:
		return fe.Code, "payload_too_large", "request body is larger than the limit"
	case fiber.StatusUnsupportedMediaType:
		return fe.Code, "unsupported_media_type", "unsupported media type"
	case fiber.StatusTooManyRequests:
		return fe.Code, "rate_limited", "too many requests; retry later"
	case fiber.StatusServiceUnavailable:
		return fe.Code, "unavailable", "service unavailable; retry later"
	case fiber.StatusRequestTimeout:
		return fe.Code, "request_timeout", "the request was not received in time"
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return fe.Code, "headers_too_large", "request header fields are too large"
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return fe.Code, "bad_request", "malformed request"
	}
	return fiber.StatusInternalServerError, "internal", "internal error"
}

func errorHandler(log *zap.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, code, msg := classify(err)
		if status >= 500 && status != fiber.StatusServiceUnavailable {
			log.Error("request failed", zap.String("method", c.Method()), zap.String("path", c.Path()),
				zap.String("request_id", requestID(c)), zap.Error(err))
		} else if status == fiber.StatusServiceUnavailable && code != codeOverloaded { // shedding is counted, not logged each time
			log.Warn("dependency unavailable", zap.String("path", c.Path()), zap.Error(err))
		}
		if status == fiber.StatusTooManyRequests || status == fiber.StatusServiceUnavailable {
			after := retryAfterSeconds
			var api *apiError
			if errors.As(err, &api) && api.retryAfter > 0 {
				after = api.retryAfter
			} else if code == codeOverloaded {
				after = overloadedRetryAfter
			}
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(after))
		}
		ensureRequestID(c)
		return c.Status(status).JSON(errorBody{Error: errorDetail{Code: code, Message: msg}})
	}
}
