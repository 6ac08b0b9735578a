package domain

import (
	"time"
	"unicode/utf8"
)

// ReadPosition is how far a member has read one chat: every message
// numbered up to Through (0: none yet).
type ReadPosition struct {
	Chat    int64
	Through int64
}

// LastMessage is what a chat list shows of a chat's newest message.
type LastMessage struct {
	Number    int64
	Author    UserID // "" for none
	Preview   string
	CreatedAt time.Time
}

// PreviewRunes bounds a last message's preview, in characters.
const PreviewRunes = 100

// Preview is the start of body that a chat list shows.
func Preview(body string) string {
	if utf8.RuneCountInString(body) <= PreviewRunes {
		return body
	}
	n := 0
	for i := range body {
		if n == PreviewRunes {
			return body[:i]
		}
		n++
	}
	return body
}

// ChatSummary is one chat of a user's chat list: the user's read position,
// the chat's last acknowledged number, how many messages after the position
// are neither deleted nor the user's own (Unread: exact), when it was last
// active (its newest message's creation, else its own) and its newest
// message (nil when unknown or none).
type ChatSummary struct {
	Chat        int64
	ReadThrough int64
	Last        int64
	// Live counts the chat's messages that are not deleted: with
	// LastMessage nil and Live > 0, the newest one is read from the store.
	Live        int64
	Unread      int64
	ActiveAt    time.Time
	LastMessage *LastMessage
}

// Authored is a message's number and its author.
type Authored struct {
	Number int64
	Author UserID
}

// TallySeed is what the system of record knows of a chat's numbers, from
// which a lost (or never kept) tally is built again: its last persisted
// number, the numbers below it that are deleted or were never persisted
// (missing), the authored messages that are not deleted, its newest
// message and when it was last active.
type TallySeed struct {
	Last        int64
	Deleted     []int64
	Missing     []int64
	Own         []Authored
	LastMessage *LastMessage
	ActiveAt    time.Time
}

// MaxListedChats bounds the chats GET …/me/chats orders by activity: a
// user's memberships beyond it (by chat number) are not listed.
const MaxListedChats = 10000

// ActivityPosition is a place in a chat list ordered by activity, the
// most recent first: a chat (At, Chat) comes after p when it was active
// earlier, or at the same time with a lower number.
type ActivityPosition struct {
	At   time.Time
	Chat int64
}

// After tells whether s comes after p in the list.
func (p ActivityPosition) After(s ChatSummary) bool {
	if !s.ActiveAt.Equal(p.At) {
		return s.ActiveAt.Before(p.At)
	}
	return s.Chat < p.Chat
}
