package application

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Reads is a user's own state (API.md "Per-user state"): read positions,
// and the chat list with exact unread counts. Only a user has one: the
// application's own requests (its secret, an open application's token)
// are refused.
type Reads struct {
	positions ports.ReadPositions
	tally     ports.ChatTally
	members   *Members
	messages  ports.MessageReader
	notices   ports.Notices
	clock     ports.Clock
}

func NewReads(positions ports.ReadPositions, tally ports.ChatTally, members *Members, messages ports.MessageReader, notices ports.Notices, clock ports.Clock) *Reads {
	return &Reads{positions: positions, tally: tally, members: members, messages: messages, notices: notices, clock: clock}
}

// errNoUser refuses the application's own requests: it reads no chat.
var errNoUser = fmt.Errorf("%w: read positions are a user's: use a user token", domain.ErrForbidden)

// MarkRead moves the caller's read position in the chat forward to through
// (a lower one changes nothing) and answers the chat's summary. A read
// token may: reading is reading. A number beyond the chat's last is a
// validation error; a chat the user sees without being a member (a public
// one) has no position to keep: forbidden. The user's other connections
// hear read.updated when the position is the one asked for.
func (u *Reads) MarkRead(ctx context.Context, caller domain.Caller, path ChatPath, through int64) (domain.ChatSummary, error) {
	if caller.IsApp() {
		return domain.ChatSummary{}, errNoUser
	}
	token, chat, err := path.parse()
	if err != nil {
		return domain.ChatSummary{}, err
	}
	if token != caller.App {
		return domain.ChatSummary{}, domain.NotFoundf("chat %d not found in this application", chat)
	}
	if err := u.members.Authorize(ctx, caller, path.Chat, domain.ActRead); err != nil {
		return domain.ChatSummary{}, err
	}
	if through < 0 {
		return domain.ChatSummary{}, &domain.ValidationError{Field: "through", Reason: "must be a message number (0 or more)"}
	}
	now, err := u.tally.Summaries(ctx, token, caller.User, []domain.ReadPosition{{Chat: chat}})
	if err != nil {
		return domain.ChatSummary{}, err
	}
	if through > now[0].Last {
		return domain.ChatSummary{}, &domain.ValidationError{Field: "through",
			Reason: fmt.Sprintf("is beyond the chat's last message (%d)", now[0].Last)}
	}
	pos, member, err := u.positions.MarkRead(ctx, token, chat, caller.User, through)
	if err != nil {
		return domain.ChatSummary{}, err
	}
	if !member {
		return domain.ChatSummary{}, fmt.Errorf("%w: only a member of the chat has a read position", domain.ErrForbidden)
	}
	if pos == through {
		// Best effort, like every notice: the position is kept, and a device
		// that missed the notice reads it with its chat list.
		_ = u.notices.Publish(ctx, domain.Notice{Kind: domain.NoticeReadUpdated, App: token, Chat: chat, User: caller.User, Through: pos, At: u.clock.Now()})
	}
	out, err := u.summaries(ctx, caller, []domain.ReadPosition{{Chat: chat, Through: pos}})
	if err != nil {
		return domain.ChatSummary{}, err
	}
	return out[0], nil
}

// MyChats pages the caller's chats (within the token's chats), the most
// recently active first, from after the position (nil: the start).
func (u *Reads) MyChats(ctx context.Context, caller domain.Caller, after *domain.ActivityPosition, limit int) (domain.Page[domain.ChatSummary], error) {
	if caller.IsApp() {
		return domain.Page[domain.ChatSummary]{}, errNoUser
	}
	positions, err := u.positions.ReadPositions(ctx, caller.App, caller.User, caller.Chats)
	if err != nil {
		return domain.Page[domain.ChatSummary]{}, err
	}
	chats := make([]int64, len(positions))
	for i, p := range positions {
		chats[i] = p.Chat
	}
	// Ordered by activity (one cheap lookup a chat), counted for the page only.
	active, err := u.tally.Activity(ctx, caller.App, chats)
	if err != nil {
		return domain.Page[domain.ChatSummary]{}, err
	}
	all := make([]domain.ChatSummary, len(positions))
	for i, p := range positions {
		all[i] = domain.ChatSummary{Chat: p.Chat, ReadThrough: p.Through, ActiveAt: active[i]}
	}
	slices.SortFunc(all, func(a, b domain.ChatSummary) int {
		if c := b.ActiveAt.Compare(a.ActiveAt); c != 0 {
			return c
		}
		return cmp.Compare(b.Chat, a.Chat)
	})
	if after != nil {
		i := slices.IndexFunc(all, after.After)
		if i < 0 {
			i = len(all)
		}
		all = all[i:]
	}
	page := domain.TrimPage(all, limit)
	wanted := make([]domain.ReadPosition, len(page.Items))
	for i, s := range page.Items {
		wanted[i] = domain.ReadPosition{Chat: s.Chat, Through: s.ReadThrough}
	}
	sums, err := u.summaries(ctx, caller, wanted)
	if err != nil {
		return domain.Page[domain.ChatSummary]{}, err
	}
	for i := range sums {
		// The page is in the order its activity was read in, and its cursor
		// follows that order: a post since then shows on the next read.
		sums[i].ActiveAt = page.Items[i].ActiveAt
	}
	page.Items = sums
	return page, nil
}

func (u *Reads) summaries(ctx context.Context, caller domain.Caller, positions []domain.ReadPosition) ([]domain.ChatSummary, error) {
	out, err := u.tally.Summaries(ctx, caller.App, caller.User, positions)
	if err != nil {
		return nil, err
	}
	return out, u.lastMessages(ctx, caller.App, out)
}

// lastMessages reads from the store the newest message of the chats whose
// tally does not know it (their newest was deleted): the newest persisted.
func (u *Reads) lastMessages(ctx context.Context, token domain.Token, sums []domain.ChatSummary) error {
	for i, s := range sums {
		if s.LastMessage != nil || s.Live == 0 {
			continue
		}
		p, err := u.messages.Messages(ctx, token, s.Chat, domain.PageRequest[int64]{Backward: true, Limit: 1})
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if len(p.Items) > 0 {
			m := p.Items[0]
			sums[i].LastMessage = &domain.LastMessage{Number: m.Number, Author: domain.UserID(m.Author), Preview: domain.Preview(m.Body.String()), CreatedAt: m.CreatedAt}
		}
	}
	return nil
}
