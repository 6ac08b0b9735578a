package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
)

// maxRequestIDLength bounds the client's own X-Request-ID that answers and
// log lines repeat; a longer one, or one with other than printable ASCII,
// is replaced.
const maxRequestIDLength = 128

// requestIDOf is the id a request goes by: the client's, if fit to repeat,
// else a new one (Fiber's generator: a UUID).
func requestIDOf(client []byte) string {
	if len(client) == 0 || len(client) > maxRequestIDLength {
		return requestid.ConfigDefault.Generator()
	}
	for _, b := range client {
		if b < 0x20 || b > 0x7e {
			return requestid.ConfigDefault.Generator()
		}
	}
	return string(client)
}

// requestIDs gives every answer its X-Request-ID.
func requestIDs(c *fiber.Ctx) error {
	c.Set(fiber.HeaderXRequestID, requestIDOf(c.Request().Header.Peek(fiber.HeaderXRequestID)))
	return c.Next()
}

func requestID(c *fiber.Ctx) string { return string(c.Response().Header.Peek(fiber.HeaderXRequestID)) }

// ensureRequestID covers answers given before the middleware ran (a body over
// the limit is refused while it is being read).
func ensureRequestID(c *fiber.Ctx) {
	if requestID(c) == "" {
		c.Set(fiber.HeaderXRequestID, requestIDOf(c.Request().Header.Peek(fiber.HeaderXRequestID)))
	}
}
