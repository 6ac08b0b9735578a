package application

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Waited is a long poll's answer: the messages after the number asked for,
// up to Through, with nothing skipped: every number up to Through is in
// Page, deleted, or in Gaps (never created: a fenced sequence skipped it).
// The client asks again after Through.
type Waited struct {
	Page    domain.Page[domain.Message]
	Through int64
	Gaps    [][2]int64
}

// WaitMessages is the long poll: it answers at once when messages after
// after are persisted, else when one is, or when wait ends (an empty
// answer, Through = after). It never answers a number while an earlier one
// is still on its way (persisted out of order): it waits for it, up to
// HoleWait, then reports it as a gap.
func (l *Live) WaitMessages(ctx context.Context, path ChatPath, after int64, limit int, wait time.Duration) (Waited, error) {
	token, chat, err := path.parse()
	if err != nil {
		return Waited{}, err
	}
	// Followed first, so that nothing created while the store is read is missed.
	st, err := l.Follow(ctx, path, "")
	if err != nil {
		return Waited{}, err
	}
	defer st.Close()
	deadline := time.Now().Add(wait)
	var holeSince time.Time
	for {
		taken, err := l.numbers.TakenNumbers(ctx, token, chat, after, limit)
		if err != nil {
			return Waited{}, err
		}
		res := Waited{Through: after}
		if len(taken) > 0 && taken[0] != after+1 {
			// A hole at after+1 while later numbers are persisted: on its way, or never coming.
			if holeSince.IsZero() {
				holeSince = time.Now()
			}
			if time.Since(holeSince) < l.cfg.HoleWait {
				taken = nil
			} else {
				res.Gaps = append(res.Gaps, [2]int64{after + 1, taken[0] - 1})
				res.Through = taken[0] - 1
			}
		}
		for _, n := range taken {
			if n != res.Through+1 {
				break
			}
			res.Through = n
		}
		if res.Through > after {
			res.Page, err = l.messages.Messages(ctx, token, chat, domain.PageRequest[int64]{After: after, Before: res.Through + 1, Limit: limit})
			if n := len(res.Page.Items); err == nil && res.Page.HasMore && n > 0 {
				res.Through = res.Page.Items[n-1].Number // the rest on the next ask
			}
			return res, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Waited{Through: after, Page: domain.Page[domain.Message]{Items: []domain.Message{}}}, nil
		}
		// Look again at the next event of the chat, or soon: an event comes
		// before its message is persisted.
		if _, _, err := st.Next(ctx, min(left, 100*time.Millisecond)); err != nil {
			return Waited{}, err
		}
	}
}
