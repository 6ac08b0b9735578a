package domain

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxBodyBytes is the default limit of a message body.
const DefaultMaxBodyBytes = 64 << 10

// ParseNumber reads a chat or message number from a path: a positive integer.
func ParseNumber(field, raw string) (int64, error) {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 1 {
		return 0, &MalformedError{Reason: field + " must be a positive integer"}
	}
	return n, nil
}

// Chat belongs to one application and is numbered within it.
type Chat struct {
	Number        int64
	MessagesCount int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Body is a message's text: never blank, valid UTF-8, within the size limit.
type Body struct{ s string }

// NewBody validates a raw body against maxBytes (DefaultMaxBodyBytes if 0).
func NewBody(raw string, maxBytes int) (Body, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	if !utf8.ValidString(raw) {
		return Body{}, &ValidationError{Field: "body", Reason: "must be valid UTF-8"}
	}
	if strings.TrimSpace(raw) == "" {
		return Body{}, &ValidationError{Field: "body", Reason: "must not be blank"}
	}
	if len(raw) > maxBytes {
		return Body{}, &TooLargeError{What: "body", Limit: maxBytes}
	}
	return Body{s: raw}, nil
}

func (b Body) String() string { return b.s }

// StoredBody is a body read back from where it was kept (the system of
// record, an index, a cache): it was validated by NewBody when it was
// written, and limits may have changed since, so it is not checked again.
func StoredBody(s string) Body { return Body{s: s} }

// Message belongs to one chat and is numbered within it.
type Message struct {
	Number int64
	Body   Body
	// Author is the user who wrote it (API.md "Authors and rights"); "" for
	// none: a message of the application itself.
	Author string
	// Type is text, system or the application's own (API.md "Message
	// structure"); "" reads as text (TypeOf).
	Type string
	// Attributes is the JSON object the client sent (ParseAttributes), ""
	// for none.
	Attributes string
	// ReplyTo is the number of the message of the same chat it answers, 0
	// for none; ReplyCount how many messages (not deleted) answer it.
	ReplyTo    int64
	ReplyCount int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
