package application

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Feed is an application's pull feed: every event webhooks carry, after a
// position, waiting a while for one when there is none yet (a long poll).
type Feed struct {
	feed ports.EventFeed
	poll time.Duration
}

// NewFeed: poll is how often a waiting request looks again.
func NewFeed(feed ports.EventFeed, poll time.Duration) *Feed {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	return &Feed{feed: feed, poll: poll}
}

// Events returns up to limit events after the position; with nothing there,
// it looks again until some come or wait has passed. Like the webhooks, it
// is the application's own (its secret, or an open application's token).
func (u *Feed) Events(ctx context.Context, caller domain.Caller, after string, limit int, wait time.Duration) ([]domain.FeedEvent, error) {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return nil, err
	}
	if !domain.ValidEventPosition(after) {
		return nil, &domain.MalformedError{Reason: "after must be an event position (as the feed or a delivery log shows it), or 0-0 for all"}
	}
	deadline := time.Now().Add(wait)
	for {
		events, err := u.feed.Events(ctx, caller.App, after, limit)
		if err != nil || len(events) > 0 || !time.Now().Add(u.poll).Before(deadline) {
			return events, err
		}
		select {
		case <-ctx.Done():
			return events, nil // the client left, or the server stops: an empty answer
		case <-time.After(u.poll):
		}
	}
}
