// Package usertoken verifies the user tokens an application's server mints
// for its users: compact JWS, HS256, signed with the application's secret
// (API.md, "Access"). Verification is golang-jwt's; this package pins what
// the contract allows (the algorithm, the claims and their bounds) and turns
// a token into the domain's Caller. It imports domain only.
package usertoken

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatsvc/chat/domain"
)

const (
	// MaxLength bounds a token: far above any honest one (a list of chats
	// included), far below what would cost anything to refuse.
	MaxLength = 4096
	// MaxLifetime is the furthest ahead a token may expire.
	MaxLifetime = 30 * 24 * time.Hour
	// Leeway forgives clocks that disagree, for nbf, iat and exp.
	Leeway = 30 * time.Second
	// MaxChats bounds the chats a token may be limited to.
	MaxChats = 1000
)

// Key ids a token's header may name: which of the application's secrets
// signed it. No kid is the current one.
const (
	KidCurrent  = "current"
	KidPrevious = "previous"
)

// Keys are the hashes of the secrets a token of one application may be
// signed with (domain.SecretHash says why the hash is the key). A zero
// Previous is none: never rotated, or its grace period is over.
type Keys struct {
	Current, Previous domain.SecretHash
}

// Verifier checks user tokens against a clock.
type Verifier struct {
	now    func() time.Time
	parser *jwt.Parser
}

// New returns a verifier reading the time from now.
func New(now func() time.Time) *Verifier {
	return &Verifier{now: now, parser: jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(now),
		jwt.WithStrictDecoding(),
	)}
}

// claims are the token's payload as the contract has it.
type claims struct {
	jwt.RegisteredClaims
	Scope *string `json:"scope,omitempty"`
	Chats []int64 `json:"chats,omitempty"`

	now func() time.Time `json:"-"`
}

// Validate runs after golang-jwt's own checks (exp, nbf, iat).
func (c *claims) Validate() error {
	if _, err := domain.ParseUserID("sub", c.Subject); err != nil {
		return errors.New("sub must be 1 to 128 printable characters")
	}
	if c.ExpiresAt != nil && c.ExpiresAt.After(c.now().Add(MaxLifetime+Leeway)) { // a missing exp is the library's to report
		return errors.New("exp is more than 30 days ahead")
	}
	if c.Scope != nil && *c.Scope != string(domain.ScopeRead) && *c.Scope != string(domain.ScopeWrite) {
		return errors.New(`scope must be "read" or "write"`)
	}
	if len(c.Chats) > MaxChats {
		return fmt.Errorf("chats lists more than %d chats", MaxChats)
	}
	for _, n := range c.Chats {
		if n < 1 {
			return errors.New("chats must be positive chat numbers")
		}
	}
	return nil
}

// Verify checks raw as a user token of application app and returns its
// caller. Every failure wraps domain.ErrUnauthorized, with a reason fit for
// the client that never repeats the token.
func (v *Verifier) Verify(raw string, app domain.Token, keys Keys) (domain.Caller, error) {
	if len(raw) > MaxLength {
		return domain.Caller{}, refused("the token is longer than %d bytes", MaxLength)
	}
	if domain.LooksLikeSecret(raw) {
		return domain.Caller{}, refused("an application secret is not a user token")
	}
	if err := noDuplicateMembers(raw); err != nil {
		return domain.Caller{}, refused("%v", err)
	}
	c := &claims{now: v.now}
	_, err := v.parser.ParseWithClaims(raw, c, func(t *jwt.Token) (any, error) {
		key, err := keyFor(t.Header["kid"], keys)
		if err != nil {
			return nil, err
		}
		return key[:], nil
	})
	if err != nil {
		return domain.Caller{}, refused("%s", reason(err))
	}
	caller := domain.Caller{App: app, User: domain.UserID(c.Subject), Scope: domain.ScopeWrite, Chats: c.Chats}
	if c.Scope != nil {
		caller.Scope = domain.Scope(*c.Scope)
	}
	if c.ExpiresAt != nil {
		caller.Until = c.ExpiresAt.Time
	}
	return caller, nil
}

// VerifyUser is ports.UserTokens: Verify with the keys of the application's
// access, the previous secret only within its grace period.
func (v *Verifier) VerifyUser(raw string, app domain.Token, access domain.AppAccess) (domain.Caller, error) {
	keys := Keys{Current: access.Current}
	if v.now().Before(access.PreviousUntil) {
		keys.Previous = access.Previous
	}
	return v.Verify(raw, app, keys)
}

func keyFor(kid any, keys Keys) (domain.SecretHash, error) {
	switch kid {
	case nil, KidCurrent:
		if keys.Current.IsZero() {
			return domain.SecretHash{}, errors.New("the application has no secret")
		}
		return keys.Current, nil
	case KidPrevious:
		if keys.Previous.IsZero() {
			return domain.SecretHash{}, errors.New("the previous secret is no longer valid")
		}
		return keys.Previous, nil
	}
	return domain.SecretHash{}, errors.New(`kid must be "current" or "previous"`)
}

// reason words golang-jwt's error for a client: what was wrong, not the token.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token has no exp"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token was issued in the future"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "the token's signature does not match the application's secret"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token cannot be verified: " + lastReason(err)
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "the token's claims are invalid: " + lastReason(err)
	}
	return "the token is malformed"
}

// lastReason is the innermost message of golang-jwt's joined error, which is
// ours (from keyFor or Validate) or the library's fixed wording.
func lastReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{domain.ErrUnauthorized}, args...)...)
}

// noDuplicateMembers refuses a header or payload that names a member twice:
// JSON decoders keep one of the two silently, and which one differs between
// the application's library and this one.
func noDuplicateMembers(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("the token is malformed")
	}
	for _, part := range parts[:2] {
		b, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil {
			return errors.New("the token is malformed")
		}
		if dupe, err := duplicateKey(b); err != nil {
			return errors.New("the token is malformed")
		} else if dupe {
			return errors.New("the token names a claim or header twice")
		}
	}
	return nil
}

// duplicateKey walks one JSON object's members (nested values skipped whole).
func duplicateKey(b []byte) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false, errors.New("not an object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false, err
		}
		k, _ := t.(string)
		if seen[k] {
			return true, nil
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false, err
		}
	}
	return false, nil
}
