package domain

import (
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrUnauthorized: a credential is missing where one is needed, malformed,
// expired, not yet valid, or signed with a key the application does not have.
// It maps to 401, and nothing is changed.
var ErrUnauthorized = errors.New("unauthorized")

// ErrForbidden: the credential is valid but does not allow this (a read
// token that writes, a member that edits someone else's message). It maps to
// 403. A chat the caller may not see at all is ErrNotFound instead, so that
// its existence is not revealed.
var ErrForbidden = errors.New("forbidden")

// Access is an application's mode. In an open application the token in the
// path is the credential (the original contract: safe only between the
// application's servers and this service); a protected one needs the
// application's secret or a user token on every request.
type Access string

const (
	AccessOpen      Access = "open"
	AccessProtected Access = "protected"
)

// ParseAccess accepts "open" and "protected".
func ParseAccess(raw string) (Access, error) {
	return oneOf("access", raw, AccessOpen, AccessProtected)
}

// oneOf accepts raw if it is one of the values of a closed set.
func oneOf[T ~string](field, raw string, values ...T) (T, error) {
	quoted := make([]string, len(values))
	for i, v := range values {
		if string(v) == raw {
			return v, nil
		}
		quoted[i] = `"` + string(v) + `"`
	}
	return "", &ValidationError{Field: field, Reason: "must be " + strings.Join(quoted, " or ")}
}

// Scope is what a user token allows: reading only, or reading and writing.
type Scope string

const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
)

// Role is a user's place in a chat. The zero Role is no membership.
type Role string

const (
	RoleMember    Role = "member"
	RoleModerator Role = "moderator"
)

// ParseRole accepts "member" and "moderator".
func ParseRole(raw string) (Role, error) {
	return oneOf("role", raw, RoleMember, RoleModerator)
}

// Visibility says who may see a chat of a protected application: its
// members only (private, the default), or every user of the application
// (public: they read and post, and become members when they post).
type Visibility string

const (
	VisibilityPrivate Visibility = "private"
	VisibilityPublic  Visibility = "public"
)

// ParseVisibility accepts "private" and "public".
func ParseVisibility(raw string) (Visibility, error) {
	return oneOf("visibility", raw, VisibilityPrivate, VisibilityPublic)
}

// MaxUserIDLength bounds a user id, in characters.
const MaxUserIDLength = 128

// UserID is an application's own name for one of its users: 1 to 128
// printable characters.
type UserID string

// ParseUserID validates a raw user id (a token's sub, a path segment, an
// author named by the application's server).
func ParseUserID(field, raw string) (UserID, error) {
	if !utf8.ValidString(raw) || raw == "" || utf8.RuneCountInString(raw) > MaxUserIDLength {
		return "", &ValidationError{Field: field, Reason: "must be 1 to 128 printable characters"}
	}
	if strings.IndexFunc(raw, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "", &ValidationError{Field: field, Reason: "must be 1 to 128 printable characters"}
	}
	return UserID(raw), nil
}

// Caller is who is asking, as the HTTP adapter authenticated them: the
// application itself (its token in an open application, or its secret), or
// one of its users (a user token the application's server minted).
type Caller struct {
	App Token
	// User is empty for the application itself.
	User UserID
	// Scope of a user token; the application itself always writes.
	Scope Scope
	// Chats limits a user token to these chats; nil is no limit.
	Chats []int64
	// Until is when a user token expires (zero: never, the application
	// itself): a live request ends then, as its credential does.
	Until time.Time
}

// AppCaller is the application itself, with every right.
func AppCaller(app Token) Caller { return Caller{App: app, Scope: ScopeWrite} }

// IsApp says whether the caller is the application itself (not one of its users).
func (c Caller) IsApp() bool { return c.User == "" }

// Action is something a caller does to a chat or to the application.
type Action int

const (
	// ActRead: read a chat, its messages and members, search it, follow it live.
	ActRead Action = iota
	// ActPost: create a message in a chat.
	ActPost
	// ActChangeOwn: edit or delete one's own message.
	ActChangeOwn
	// ActModerate: change or delete anyone's message, add, change or remove members.
	ActModerate
	// ActLeave: remove oneself from a chat.
	ActLeave
	// ActType: say one is typing in a chat (a member's, like leaving it).
	ActType
	// ActCreateChat: create a chat in the application.
	ActCreateChat
	// ActManageApp: rename the application, switch its access, rotate its
	// secrets, manage its webhooks and its data.
	ActManageApp
)

// ChatRights is what decides a user's rights in one chat.
type ChatRights struct {
	Number     int64
	Visibility Visibility
	Role       Role // the caller's; zero when not a member
}

// MayApp decides an action on the application itself (no chat involved):
// creating chats and managing the application.
func (c Caller) MayApp(a Action) error {
	if c.IsApp() {
		return nil
	}
	switch a {
	case ActCreateChat:
		// A token limited to some chats cannot make more of them.
		if c.Scope != ScopeWrite || c.Chats != nil {
			return ErrForbidden
		}
		return nil
	case ActRead:
		return nil
	}
	return ErrForbidden
}

// MayChat decides an action of the caller in one chat: nil, ErrForbidden
// (the caller sees the chat but may not do this) or a not-found error (the
// caller may not see the chat at all: its existence is not revealed).
func (c Caller) MayChat(a Action, chat ChatRights) error {
	if c.IsApp() {
		return nil
	}
	if !c.Sees(chat) {
		return NotFoundf("chat %d not found in this application", chat.Number)
	}
	if a == ActRead {
		return nil
	}
	if c.Scope != ScopeWrite {
		return ErrForbidden
	}
	switch a {
	case ActPost, ActChangeOwn:
		return nil
	case ActLeave, ActType:
		if chat.Role == "" {
			return NotFoundf("user %s is not a member of chat %d", c.User, chat.Number)
		}
		return nil
	case ActModerate:
		if chat.Role == RoleModerator {
			return nil
		}
	}
	return ErrForbidden
}

// Sees says whether the caller may see the chat at all: a member, or any
// user of the application for a public chat, within the token's chats.
func (c Caller) Sees(chat ChatRights) bool {
	if c.IsApp() {
		return true
	}
	if c.Chats != nil && !slices.Contains(c.Chats, chat.Number) {
		return false
	}
	return chat.Role != "" || chat.Visibility == VisibilityPublic
}

// MayChangeMessage decides an edit or a delete of a message written by
// author: one's own needs only write access, anyone else's a moderator.
func (c Caller) MayChangeMessage(chat ChatRights, author UserID) error {
	if !c.IsApp() && author != "" && author == c.User {
		return c.MayChat(ActChangeOwn, chat)
	}
	return c.MayChat(ActModerate, chat)
}

// AuthorOf decides who a new message's author is, from the author the
// request named (named, when given): a user writes as themselves (naming
// anyone else is forbidden); the application itself names any user on
// whose behalf it writes, or none (a message of its own).
func (c Caller) AuthorOf(named string, given bool) (string, error) {
	if given {
		if _, err := ParseUserID("author", named); err != nil {
			return "", err
		}
	}
	if c.IsApp() {
		return named, nil
	}
	if given && UserID(named) != c.User {
		return "", ErrForbidden
	}
	return string(c.User), nil
}
