package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/domain"
)

// decodeObject reads a JSON object body; an empty body is an empty object.
// A body that is neither JSON nor a form by its Content-Type is a 415,
// invalid UTF-8 a 422, anything else that is not a JSON object a 400.
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
	return parseObjectOf(body, m, field, field)
}

// parseObjectOf is parseObject where a form's wrapper[…] fields nest.
func parseObjectOf(body []byte, m media, field, wrapper string) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil
	}
	switch m {
	case mediaForm:
		// curl -d sends JSON as a form unless told otherwise; no form a
		// client means starts with "{", so such a body is read as the JSON it is.
		if trimmed[0] != '{' {
			return parseForm(body, field, wrapper)
		}
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

// parseForm turns a form body into the object it stands for. Only the
// wrapper's fields are read as nested (wrapper[name]=x); any other key,
// brackets and all, is a key of its own, as a JSON body's extra keys are.
func parseForm(body []byte, field, wrapper string) (map[string]json.RawMessage, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest("request body is not a valid form: " + err.Error())
	}
	top := map[string]json.RawMessage{}
	nested := map[string]string{}
	for key, vs := range values {
		v := vs[0]
		if !utf8.ValidString(v) || !utf8.ValidString(key) {
			return nil, &domain.ValidationError{Field: field, Reason: "must be valid UTF-8"}
		}
		if inner, ok := strings.CutPrefix(key, wrapper+"["); ok && strings.HasSuffix(inner, "]") {
			nested[strings.TrimSuffix(inner, "]")] = v
			continue
		}
		if key != wrapper { // a bare wrapper=x is no wrapper: ignored like any extra key
			top[key], _ = json.Marshal(v)
		}
	}
	if len(nested) > 0 {
		top[wrapper], _ = json.Marshal(nested)
	}
	return top, nil
}

// parseAttribute is decodeAttribute's work on the raw body (and fuzzed as
// such). The attribute comes bare or wrapped, not both; given, it must be a
// string (null is not one). Other keys are ignored.
func parseAttribute(body []byte, m media, wrapper, name string) (string, error) {
	s, _, err := parseOptionalAttribute(body, m, wrapper, name)
	return s, err
}

// parseOptionalAttribute is parseAttribute that also tells whether the
// attribute was given.
func parseOptionalAttribute(body []byte, m media, wrapper, name string) (string, bool, error) {
	fields, err := parseAttributes(body, m, wrapper, name)
	if err != nil {
		return "", false, err
	}
	return stringAttribute(fields, name)
}

// parseAttributes reads the attributes of a body, bare ({"body": "x"}) or
// wrapped ({"message": {"body": "x"}}), not both: none of names may come
// bare beside the wrapper. The field of an encoding error is names[0].
func parseAttributes(body []byte, m media, wrapper string, names ...string) (map[string]json.RawMessage, error) {
	top, err := parseObjectOf(body, m, names[0], wrapper)
	if err != nil {
		return nil, err
	}
	inner, wrapped := top[wrapper]
	if !wrapped {
		return top, nil
	}
	for _, name := range names {
		if _, bare := top[name]; bare {
			return nil, badRequest("send " + name + " or " + wrapper + "." + name + ", not both")
		}
	}
	var nested map[string]json.RawMessage
	if err := json.Unmarshal(inner, &nested); err != nil || nested == nil {
		return nil, badRequest(wrapper + " must be a JSON object")
	}
	return nested, nil
}

// stringAttribute is the attribute name of fields, and whether it is
// there; given, it must be a string (null is not one).
func stringAttribute(fields map[string]json.RawMessage, name string) (string, bool, error) {
	raw, given := fields[name]
	if !given {
		return "", false, nil // the domain says it is missing (blank)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || isNull(raw) {
		return "", false, badRequest(name + " must be a string")
	}
	if loneSurrogate(raw) {
		// encoding/json would store U+FFFD in its place: the text would change.
		return "", false, &domain.ValidationError{Field: name, Reason: "must be valid UTF-8 (a \\u escape names half a surrogate pair)"}
	}
	return s, true, nil
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
