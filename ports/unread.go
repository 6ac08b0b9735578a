package ports

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
)

// ReadPositions keeps each member's read position in the system of record,
// with the membership (written synchronously: a read holds from its answer
// on).
type ReadPositions interface {
	// MarkRead moves the member's position forward to through (never back)
	// and returns it as kept; member is false (nothing written) when the
	// user is not a member of the chat.
	MarkRead(ctx context.Context, token domain.Token, chat int64, user domain.UserID, through int64) (position int64, member bool, err error)
	// ReadPositions lists the user's chats (within only when it is not
	// nil), by number, at most domain.MaxListedChats, each with its position.
	ReadPositions(ctx context.Context, token domain.Token, user domain.UserID, within []int64) ([]domain.ReadPosition, error)
}

// ChatTally keeps, per chat, what makes a user's unread count exact without
// counting messages: the last acknowledged number, the numbers at or below
// it that are no message (deleted, or not acknowledged yet), and each
// user's own messages, each answering "how many after N" in O(log n). It is
// written where a write is acknowledged (before the answer) and again once
// the write is persisted; recording an event twice changes nothing.
type ChatTally interface {
	// Record takes acknowledged (or persisted) events into the tallies of
	// their chats. fresh says they were numbered just now (not replays):
	// then a ChatCreated starts its chat's tally empty; otherwise a tally
	// that is missing is built again from the store.
	Record(ctx context.Context, events []domain.Event, fresh bool) error
	// Activity answers when each chat was last active (its newest message's
	// creation, else its own; zero when unknown), in the chats' order: what
	// orders a user's chat list, cheaper than their summaries.
	Activity(ctx context.Context, token domain.Token, chats []int64) ([]time.Time, error)
	// Summaries answers, for each position, the chat's summary for user, in
	// the positions' order.
	Summaries(ctx context.Context, token domain.Token, user domain.UserID, positions []domain.ReadPosition) ([]domain.ChatSummary, error)
}

// TallySeeds reads what the system of record knows of a chat's numbers,
// for a tally that was lost or never kept. It costs a scan of the chat's
// numbers: it is for the first use of a chat after a loss only.
type TallySeeds interface {
	// TallySeed is domain.ErrNotFound-free: a chat not persisted has the zero seed.
	TallySeed(ctx context.Context, token domain.Token, chat int64) (domain.TallySeed, error)
}
