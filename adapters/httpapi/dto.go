package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/domain"
)

type applicationJSON struct {
	Token      string    `json:"token"`
	Name       string    `json:"name"`
	ChatsCount int64     `json:"chats_count"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type chatJSON struct {
	Number        int64     `json:"number"`
	MessagesCount int64     `json:"messages_count"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

type messageJSON struct {
	Number    int64      `json:"number"`
	Body      string     `json:"body"`
	CreatedAt *time.Time `json:"created_at"` // null only in an edit's answer, before the message is persisted
	UpdatedAt time.Time  `json:"updated_at"`
}

type hitJSON struct {
	messageJSON
	Highlight string `json:"highlight"`
}

func toHitJSON(h domain.Hit) hitJSON {
	return hitJSON{messageJSON: toMessageJSON(h.Message), Highlight: h.Highlight}
}

type pageJSON[T any] struct {
	Data       []T     `json:"data"`
	HasMore    bool    `json:"has_more"`
	NextCursor *string `json:"next_cursor"`
}

func toApplicationJSON(a domain.Application) applicationJSON {
	return applicationJSON{Token: string(a.Token), Name: a.Name.String(), ChatsCount: a.ChatsCount, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func toChatJSON(c domain.Chat) chatJSON {
	return chatJSON{Number: c.Number, MessagesCount: c.MessagesCount, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func toMessageJSON(m domain.Message) messageJSON { return messageJSONIn(m, new(time.Time)) }

// messageJSONIn is m's representation, its creation time (when known) kept
// in *created.
func messageJSONIn(m domain.Message, created *time.Time) messageJSON {
	out := messageJSON{Number: m.Number, Body: m.Body.String(), UpdatedAt: m.UpdatedAt}
	if !m.CreatedAt.IsZero() {
		*created = m.CreatedAt
		out.CreatedAt = created
	}
	return out
}

// toMessagesJSON is toPage with toMessageJSON, less an allocation per
// message: the creation times a page points at are allocated together.
func toMessagesJSON(p domain.Page[domain.Message]) pageJSON[messageJSON] {
	out := pageJSON[messageJSON]{Data: make([]messageJSON, len(p.Items)), HasMore: p.HasMore}
	created := make([]time.Time, len(p.Items))
	for i, m := range p.Items {
		out.Data[i] = messageJSONIn(m, &created[i])
	}
	return out
}

func toPage[T, J any](p domain.Page[T], conv func(T) J, cursor func(T) string) pageJSON[J] {
	out := pageJSON[J]{Data: make([]J, len(p.Items)), HasMore: p.HasMore}
	for i, item := range p.Items {
		out.Data[i] = conv(item)
	}
	if p.HasMore && len(p.Items) > 0 && cursor != nil {
		c := cursor(p.Items[len(p.Items)-1])
		out.NextCursor = &c
	}
	return out
}

// Cursors are opaque to clients: a versioned, base64url-encoded position.
// They hold public keys (a number, a token), never a database id.
func encodeCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + kind + ":" + key))
}

func decodeCursor(kind, raw string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	prefix := "v1:" + kind + ":"
	if err != nil || !strings.HasPrefix(string(b), prefix) || len(b) == len(prefix) {
		return "", badRequest("cursor is not valid")
	}
	return strings.TrimPrefix(string(b), prefix), nil
}

const (
	defaultLimit = 50
	maxLimit     = 200
)

func parseLimit(c *fiber.Ctx) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxLimit {
		return 0, badRequest("limit must be an integer from 1 to 200")
	}
	return n, nil
}

// numberPage reads how a client pages a list ordered by number: a cursor,
// or one of after=N, before=N and around=N, with order=asc|desc (asc by
// default; desc with no position starts from the newest). Two positions at
// once, or a position with a cursor, make no sense: 400.
func numberPage(c *fiber.Ctx, kind string) (domain.PageRequest[int64], error) {
	limit, err := parseLimit(c)
	if err != nil {
		return domain.PageRequest[int64]{}, err
	}
	page := domain.PageRequest[int64]{Limit: limit}
	switch order := c.Query("order"); order {
	case "", "asc":
	case "desc":
		page.Desc = true
	default:
		return page, badRequest("order must be asc or desc")
	}
	given := 0
	for _, p := range []struct {
		name string
		into *int64
	}{{"after", &page.After}, {"before", &page.Before}, {"around", &page.Around}} {
		raw := c.Query(p.name)
		if raw == "" {
			continue
		}
		given++
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 {
			return page, badRequest(p.name + " must be a positive integer")
		}
		*p.into = n
	}
	raw := c.Query("cursor")
	if raw != "" {
		given++
	}
	if given > 1 {
		return page, badRequest("use one of cursor, after, before and around")
	}
	switch {
	case raw != "":
		key, err := decodeCursor(kind, raw)
		if err != nil {
			return page, err
		}
		// n, then :b when the pages walk backward, :d when they answer newest first.
		number, desc := strings.CutSuffix(key, ":d")
		number, backward := strings.CutSuffix(number, ":b")
		n, err := strconv.ParseInt(number, 10, 64)
		if err != nil || n < 1 {
			return page, badRequest("cursor is not valid")
		}
		if backward {
			page.Before, page.Backward = n, true
		} else {
			page.After = n
		}
		if c.Query("order") == "" {
			page.Desc = desc
		}
	case page.Before > 0:
		page.Backward = true
	case page.After == 0 && page.Around == 0 && page.Desc:
		page.Backward = true // newest first: from the end
	}
	return page, nil
}

// numberCursor is where the page after p goes on: past its farthest item
// in the direction the request walked.
func numberCursor[T any](kind string, req domain.PageRequest[int64], p domain.Page[T], number func(T) int64) *string {
	if !p.HasMore || len(p.Items) == 0 || req.Around > 0 {
		return nil
	}
	first, last := number(p.Items[0]), number(p.Items[len(p.Items)-1])
	key := strconv.FormatInt(max(first, last), 10)
	if req.Backward {
		key = strconv.FormatInt(min(first, last), 10) + ":b"
	}
	if req.Desc {
		key += ":d"
	}
	c := encodeCursor(kind, key)
	return &c
}

// decodeObject reads a JSON object body; an empty body is an empty object.
// A body that is not JSON by its Content-Type is a 415, invalid UTF-8 a 422,
// anything else that is not a JSON object a 400.
func decodeObject(c *fiber.Ctx, field string) (map[string]json.RawMessage, error) {
	return parseObject(c.Body(), mediaOf(c), field)
}

// media is what a request body is, by its Content-Type.
type media int

const (
	mediaOther media = iota
	mediaJSON
	mediaForm // application/x-www-form-urlencoded, as the original Rails service's clients send
)

func mediaOf(c *fiber.Ctx) media {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	switch {
	case ct == fiber.MIMEApplicationJSON || (strings.HasPrefix(ct, "application/") && strings.HasSuffix(ct, "+json")):
		return mediaJSON
	case ct == fiber.MIMEApplicationForm:
		return mediaForm
	}
	return mediaOther
}

// parseObject is decodeObject's work on the raw body (and fuzzed as such).
// A form body reads as the JSON object it stands for: name=x as
// {"name":"x"}, chat_application[name]=x as {"chat_application":{"name":"x"}}.
func parseObject(body []byte, m media, field string) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	switch m {
	case mediaForm:
		return parseForm(body, field)
	case mediaOther:
		return nil, &apiError{status: fiber.StatusUnsupportedMediaType, code: "unsupported_media_type", message: "request body must be application/json or application/x-www-form-urlencoded"}
	}
	if !utf8.Valid(body) {
		return nil, &domain.ValidationError{Field: field, Reason: "must be valid UTF-8"}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, badRequest("request body must be a JSON object: " + jsonProblem(err))
	}
	if top == nil { // the body was null
		return nil, badRequest("request body must be a JSON object")
	}
	return top, nil
}

// decodeAttribute reads one string attribute, bare ({"name": "x"}) or
// wrapped the Rails way ({"chat_application": {"name": "x"}}). A missing or
// null attribute reads as "", which the domain then rejects as blank.
func decodeAttribute(c *fiber.Ctx, wrapper, name string) (string, error) {
	return parseAttribute(c.Body(), mediaOf(c), wrapper, name)
}

// parseForm turns a form body into the object it stands for.
func parseForm(body []byte, field string) (map[string]json.RawMessage, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest("request body is not a valid form: " + err.Error())
	}
	top := map[string]json.RawMessage{}
	nested := map[string]map[string]string{}
	for key, vs := range values {
		v := vs[0]
		if !utf8.ValidString(v) || !utf8.ValidString(key) {
			return nil, &domain.ValidationError{Field: field, Reason: "must be valid UTF-8"}
		}
		if outer, inner, ok := strings.Cut(key, "["); ok && strings.HasSuffix(inner, "]") {
			if nested[outer] == nil {
				nested[outer] = map[string]string{}
			}
			nested[outer][strings.TrimSuffix(inner, "]")] = v
			continue
		}
		top[key], _ = json.Marshal(v)
	}
	for outer, fields := range nested {
		top[outer], _ = json.Marshal(fields)
	}
	return top, nil
}

// parseAttribute is decodeAttribute's work on the raw body (and fuzzed as such).
func parseAttribute(body []byte, m media, wrapper, name string) (string, error) {
	top, err := parseObject(body, m, name)
	if err != nil {
		return "", err
	}
	raw, ok := top[name]
	if inner, wrapped := top[wrapper]; (!ok || isNull(raw)) && wrapped && !isNull(inner) {
		var nested map[string]json.RawMessage
		if err := json.Unmarshal(inner, &nested); err != nil {
			return "", badRequest(wrapper + " must be a JSON object")
		}
		raw, ok = nested[name]
	}
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badRequest(name + " must be a string")
	}
	if loneSurrogate(raw) {
		// encoding/json would store U+FFFD in its place: the text would change.
		return "", &domain.ValidationError{Field: name, Reason: "must be valid UTF-8 (a \\u escape names half a surrogate pair)"}
	}
	return s, nil
}

// loneSurrogate says whether a JSON string literal escapes half of a UTF-16
// surrogate pair without the other half.
func loneSurrogate(raw []byte) bool {
	for i := 0; i+6 <= len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		u, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		if err != nil {
			return false // not valid JSON; the decoder said otherwise
		}
		switch {
		case u >= 0xDC00 && u <= 0xDFFF:
			return true // a low half with no high half before it
		case u >= 0xD800 && u <= 0xDBFF:
			next := raw[i+6:]
			if len(next) < 6 || next[0] != '\\' || next[1] != 'u' {
				return true
			}
			l, err := strconv.ParseUint(string(next[2:6]), 16, 16)
			if err != nil || l < 0xDC00 || l > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return "malformed JSON at offset " + strconv.FormatInt(syntax.Offset, 10)
	case errors.As(err, &typ):
		return "expected an object"
	}
	return "malformed JSON"
}
