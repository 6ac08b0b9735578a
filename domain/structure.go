package domain

import (
	"bytes"
	"encoding/json"
	"regexp"
)

// Message types (API.md "Message structure"): text by default, system, or
// one of the application's own.
const (
	TypeText   = "text"
	TypeSystem = "system"
)

// MaxAttributesBytes bounds a message's attributes, as sent.
const MaxAttributesBytes = 4 << 10

// maxAttributesDepth bounds how deeply attributes nest: deep enough for any
// card or poll, shallow enough that no client walking them recurses far.
const maxAttributesDepth = 16

var typePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,31}$`)

// ParseType validates a message's type; "" (not given) is text. Only the
// application itself (its servers) writes system messages: a user claiming
// one would pass for the application.
func (c Caller) ParseType(raw string) (string, error) {
	switch {
	case raw == "":
		return TypeText, nil
	case !typePattern.MatchString(raw):
		return "", &ValidationError{Field: "type", Reason: `must be "text", "system" or match ^[a-z][a-z0-9_.-]{0,31}$`}
	case raw == TypeSystem && !c.IsApp():
		return "", ErrForbidden
	}
	return raw, nil
}

// TypeOf is a stored message's type: text for one written before messages
// had types.
func TypeOf(stored string) string {
	if stored == "" {
		return TypeText
	}
	return stored
}

// ParseAttributes validates a message's attributes as sent: a JSON object
// of at most MaxAttributesBytes, nested at most 16 deep. They are kept as
// sent but for the whitespace between tokens (what every JSON encoder that
// passes them on drops anyway), so that every representation shows the
// same bytes: member order, number spelling and escapes are the client's.
func ParseAttributes(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	invalid := func(reason string) (string, error) {
		return "", &ValidationError{Field: "attributes", Reason: reason}
	}
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return invalid("must be a JSON object")
	}
	if len(raw) > MaxAttributesBytes {
		return invalid("must be at most 4096 bytes")
	}
	if depthOf(raw) > maxAttributesDepth {
		return invalid("must not nest deeper than 16 levels")
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return invalid("must be a JSON object")
	}
	return out.String(), nil
}

// depthOf is how deeply valid JSON nests objects and arrays.
func depthOf(raw []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(raw); i++ {
		switch ch := raw[i]; {
		case inString && ch == '\\':
			i++
		case ch == '"':
			inString = !inString
		case inString:
		case ch == '{' || ch == '[':
			depth++
			deepest = max(deepest, depth)
		case ch == '}' || ch == ']':
			depth--
		}
	}
	return deepest
}
