package httpapi

import (
	"encoding/json"

	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
)

// parseNewMessage reads a message's creation: its body, the author it may
// name (null, or absent, for none), its type and attributes (API.md
// "Message structure").
func parseNewMessage(body []byte, m media) (application.NewMessage, error) {
	fields, err := parseAttributes(body, m, "message", "body", "author", "type", "attributes")
	if err != nil {
		return application.NewMessage{}, err
	}
	var out application.NewMessage
	if out.Body, _, err = stringAttribute(fields, "body"); err != nil {
		return out, err
	}
	if out.Type, err = typeAttribute(fields); err != nil {
		return out, err
	}
	if out.Attributes, _, err = attributesAttribute(fields); err != nil {
		return out, err
	}
	if raw, ok := fields["author"]; ok && isNull(raw) {
		return out, nil
	}
	out.Author, out.Named, err = stringAttribute(fields, "author")
	return out, err
}

// parseMessageChange reads a message's edit: its new body, the type it
// may repeat (an edit keeps it) and its new attributes (absent: kept;
// null: cleared).
func parseMessageChange(body []byte, m media) (application.MessageChange, error) {
	fields, err := parseAttributes(body, m, "message", "body", "type", "attributes")
	if err != nil {
		return application.MessageChange{}, err
	}
	var out application.MessageChange
	if out.Body, _, err = stringAttribute(fields, "body"); err != nil {
		return out, err
	}
	if out.Type, err = typeAttribute(fields); err != nil {
		return out, err
	}
	out.Attributes, out.NewAttributes, err = attributesAttribute(fields)
	return out, err
}

// typeAttribute is the type a request names: "" for none (absent or null);
// given, a string the domain then checks, blank included.
func typeAttribute(fields map[string]json.RawMessage) (string, error) {
	if raw, ok := fields["type"]; !ok || isNull(raw) {
		return "", nil
	}
	typ, _, err := stringAttribute(fields, "type")
	if err == nil && typ == "" {
		err = &domain.ValidationError{Field: "type", Reason: "must not be blank"}
	}
	return typ, err
}

// attributesAttribute is the attributes a request gives, as sent, and
// whether it gives any: null gives none (nil).
func attributesAttribute(fields map[string]json.RawMessage) ([]byte, bool, error) {
	raw, ok := fields["attributes"]
	switch {
	case !ok:
		return nil, false, nil
	case isNull(raw):
		return nil, true, nil
	case loneSurrogate(raw):
		return nil, false, &domain.ValidationError{Field: "attributes", Reason: "must be valid UTF-8 (a \\u escape names half a surrogate pair)"}
	}
	return raw, true, nil
}
