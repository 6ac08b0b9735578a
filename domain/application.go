package domain

import (
	"crypto/rand"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNameLength is the longest application name, in characters.
const MaxNameLength = 255

// Name is an application's display name: never blank, at most 255 characters.
type Name struct{ s string }

// NewName validates a raw name.
func NewName(raw string) (Name, error) {
	if !utf8.ValidString(raw) {
		return Name{}, &ValidationError{Field: "name", Reason: "must be valid UTF-8"}
	}
	if strings.TrimSpace(raw) == "" {
		return Name{}, &ValidationError{Field: "name", Reason: "must not be blank"}
	}
	if utf8.RuneCountInString(raw) > MaxNameLength {
		return Name{}, &ValidationError{Field: "name", Reason: "must be at most 255 characters"}
	}
	return Name{s: raw}, nil
}

func (n Name) String() string { return n.s }

// Token identifies an application to clients. It is random, so that tokens
// cannot be guessed from one another.
type Token string

const (
	tokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	tokenLength   = 24
)

// NewToken draws a fresh token: 24 base62 characters, about 142 bits.
func NewToken() Token {
	b := make([]byte, tokenLength)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // rand.Read never fails on supported platforms
	}
	for i := range b {
		b[i] = tokenAlphabet[int(b[i])%len(tokenAlphabet)]
	}
	return Token(b)
}

// ParseToken accepts what NewToken makes. Anything else cannot name an
// application, so callers answer "not found" without asking a store.
func ParseToken(raw string) (Token, error) {
	if len(raw) != tokenLength {
		return "", NotFoundf("application not found")
	}
	for i := 0; i < len(raw); i++ {
		if strings.IndexByte(tokenAlphabet, raw[i]) < 0 {
			return "", NotFoundf("application not found")
		}
	}
	return Token(raw), nil
}

// Application is a tenant of the service.
type Application struct {
	Token      Token
	Name       Name
	ChatsCount int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Access is its mode and its secrets' hashes (never shown).
	Access AppAccess
	// RetentionDays is how long its messages are kept (0: forever);
	// a chat's own overrides it.
	RetentionDays int64
}
