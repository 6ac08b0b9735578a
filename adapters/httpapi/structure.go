package httpapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
)

// parseNewMessage reads a message's creation: its body, the author it may
// name (null, or absent, for none), its type and attributes (API.md
// "Message structure").
func parseNewMessage(body []byte, m media) (application.NewMessage, error) {
	fields, err := parseAttributes(body, m, "message", "body", "author", "type", "attributes", "reply_to")
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
	if out.ReplyTo, err = replyToAttribute(fields); err != nil {
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

// replyToAttribute is the number of the message a new one answers: 0 for
// none (absent or null); given, a JSON number (else a 400, but for a
// string of digits, as a form sends it) that is a message number (else a
// 422).
func replyToAttribute(fields map[string]json.RawMessage) (int64, error) {
	raw, ok := fields["reply_to"]
	if !ok || isNull(raw) {
		return 0, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil || (raw[0] == '"' && strings.Trim(string(n), "0123456789") != "") {
		return 0, badRequest("reply_to must be a message number")
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < 1 {
		return 0, &domain.ValidationError{Field: "reply_to", Reason: "must be the number of a message of this chat"}
	}
	return v, nil
}

func (h *handlers) listReplies(c *fiber.Ctx) error {
	page, err := numberPage(c)
	if err != nil {
		return err
	}
	msgs, err := h.uc.Messages.Replies(c.UserContext(), messagePath(c), page)
	return messagesPage(c, page, msgs, err)
}
