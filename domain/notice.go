package domain

import "time"

// NoticeKind names what a Notice says.
type NoticeKind string

const (
	// NoticeTyping: User is typing in Chat (shown to its other members for a few seconds).
	NoticeTyping NoticeKind = "typing"
	// NoticeReadUpdated: User's read position in Chat moved to Through (for their other devices).
	NoticeReadUpdated NoticeKind = "read.updated"
	// NoticeMemberAdded: User became a member of Chat (or their role changed) with Role.
	NoticeMemberAdded NoticeKind = "member.added"
	// NoticeMemberRemoved: User is no longer a member of Chat.
	NoticeMemberRemoved NoticeKind = "member.removed"
)

// Notice is an ephemeral signal about a user in a chat, for the users'
// live streams on every api instance: not stored, not numbered, not in the
// event log, and at most once (a client that missed one reloads what it
// is about). Who receives it follows from its kind (application.Live):
// typing goes to the chat's other members, read.updated to the user's own
// streams, member.* to the chat's members and the user.
type Notice struct {
	Kind NoticeKind
	App  Token
	Chat int64
	User UserID
	// Through is read.updated's read position.
	Through int64
	// Role is member.added's.
	Role Role
	// Position, in a membership change, is where the event log stood once
	// the change was committed: a stream that starts following the chat on
	// this notice reads the chat's events after it, so that nothing created
	// after the change was answered is missed.
	Position string
	At       time.Time
}
