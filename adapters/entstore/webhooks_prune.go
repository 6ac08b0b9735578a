package entstore

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Prune deletes up to batch of the feed's events made before before, and
// up to batch of the deliveries finished (delivered, or given up) before
// it; it says how many of each. Pending deliveries stay, however old:
// they are still to be sent (or wait for a replay of their disabled
// endpoint). Both deletes read their own index (app_events_created, and
// the deliveries' due index, whose next_attempt is a finished delivery's
// last attempt), so a batch costs what it deletes.
func (w *Webhooks) Prune(ctx context.Context, before time.Time, batch int) (events, deliveries int, err error) {
	at := before.UnixMilli()
	n, err := w.s.deleteSome(ctx, "app_events", "created_at < ?", batch, at)
	if err != nil {
		return 0, 0, err
	}
	events = n
	for _, state := range []string{domain.DeliveryDelivered, domain.DeliveryFailed} {
		if deliveries >= batch {
			break
		}
		n, err := w.s.deleteSome(ctx, "webhook_deliveries", "state = ? AND next_attempt < ?", batch-deliveries, state, at)
		if err != nil {
			return events, deliveries, err
		}
		deliveries += n
	}
	return events, deliveries, nil
}
