package entstore

import (
	"context"

	"github.com/chatsvc/chat/adapters/webhook"
	"github.com/chatsvc/chat/domain"
)

// Feed reads the applications' pull feed (ports.EventFeed) from app_events,
// which Enqueue writes with the webhook deliveries.
type Feed struct {
	s     *Store
	holds func(context.Context) (map[string]string, error)
}

// Feed is the store's pull feed. holds, when not nil, says from where each
// partition of the log may not be in the feed yet (production: the
// webhooks' group's stream.Unsettled); what lies beyond waits, so that a
// reader never passes an event written later at an earlier position.
func (s *Store) Feed(holds func(context.Context) (map[string]string, error)) *Feed {
	return &Feed{s: s, holds: holds}
}

func (f *Feed) Events(ctx context.Context, token domain.Token, after string, limit int) ([]domain.FeedEvent, error) {
	q := `SELECT pos, body FROM app_events WHERE token = ? AND pos > ?`
	args := []any{string(token), webhook.SortablePosition(after)}
	if f.holds != nil {
		holds, err := f.holds(ctx)
		if err != nil {
			return nil, err
		}
		for part, pos := range holds {
			q += ` AND NOT (part = ? AND pos >= ?)`
			args = append(args, part, webhook.SortablePosition(pos))
		}
	}
	rows, err := f.s.db.QueryContext(ctx, q+` ORDER BY pos LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	out := []domain.FeedEvent{}
	for rows.Next() {
		var e domain.FeedEvent
		if err := rows.Scan(&e.Position, &e.Body); err != nil {
			return nil, storeErr(err, "")
		}
		e.Position = webhook.PlainPosition(e.Position)
		out = append(out, e)
	}
	return out, storeErr(rows.Err(), "")
}
