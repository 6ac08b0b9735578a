package httpapi

import (
	"bytes"
	"strconv"

	"github.com/cespare/xxhash/v2"
	"github.com/gofiber/fiber/v2"
)

// etags gives every 200 answer with a body an ETag (its length and xxhash)
// and answers 304 to an If-None-Match that names it (weak comparison, as
// RFC 9110 has it for If-None-Match; "*" matches any). Fiber's own etag
// middleware hashes with a CRC table in software: a fifth of the api's CPU
// on a page of 50 messages.
//
// Such an answer says Vary: Authorization: who asks decides what it is (a
// user's chats, a chat a user may not see; in an open application too, a
// wrong bearer credential is a 401), so a cache in between keys it by the
// credential as well as the URL (which holds the rest: ?access_token=, the
// page). No answer is compressed, so nothing else varies.
func etags(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		return err
	}
	res := c.Response()
	if res.IsBodyStream() {
		return nil // a live stream: nothing to hash
	}
	body := res.Body()
	if res.StatusCode() != fiber.StatusOK || len(body) == 0 || len(res.Header.Peek(fiber.HeaderETag)) > 0 {
		return nil
	}
	var buf [48]byte
	tag := append(buf[:0], '"')
	tag = strconv.AppendUint(tag, uint64(len(body)), 10)
	tag = append(tag, '-')
	tag = strconv.AppendUint(tag, xxhash.Sum64(body), 36)
	tag = append(tag, '"')
	res.Header.SetBytesV(fiber.HeaderETag, tag)
	res.Header.Add(fiber.HeaderVary, fiber.HeaderAuthorization)
	if matchesAny(c.Request().Header.Peek(fiber.HeaderIfNoneMatch), tag) {
		c.Context().ResetBody()
		return c.SendStatus(fiber.StatusNotModified)
	}
	return nil
}

// matchesAny tells whether an If-None-Match list names tag.
func matchesAny(list, tag []byte) bool {
	for len(list) > 0 {
		item := list
		if i := bytes.IndexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			list = nil
		}
		item = bytes.TrimSpace(item)
		if bytes.Equal(item, []byte("*")) || bytes.Equal(bytes.TrimPrefix(item, []byte("W/")), tag) {
			return true
		}
	}
	return false
}
