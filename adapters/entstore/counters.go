package entstore

import (
	"context"
	"strings"

	"github.com/chatsvc/chat/domain"
)

// Counters are recomputed from the rows rather than incremented, so a
// recomputation is exact whatever happened before it (redeliveries, crashes
// between the insert and the count, several workers), and doing it twice is
// harmless.
const (
	refreshChatsCount = `UPDATE applications SET chats_count =
  (SELECT COUNT(*) FROM chats WHERE chats.application_id = applications.id) WHERE id IN (%s)`
	refreshMessagesCount = `UPDATE chats SET messages_count =
  (SELECT COUNT(*) FROM messages WHERE messages.chat_id = chats.id) WHERE id IN (%s)`
	reconcileChatsCount = `UPDATE applications SET chats_count =
  (SELECT COUNT(*) FROM chats WHERE chats.application_id = applications.id)
  WHERE id > ? AND id <= ? AND chats_count <> (SELECT COUNT(*) FROM chats WHERE chats.application_id = applications.id)`
	reconcileMessagesCount = `UPDATE chats SET messages_count =
  (SELECT COUNT(*) FROM messages WHERE messages.chat_id = chats.id)
  WHERE id > ? AND id <= ? AND messages_count <> (SELECT COUNT(*) FROM messages WHERE messages.chat_id = chats.id)`
	reconcileStep = 1000
)

// RefreshCounts recomputes the counters of the touched applications and chats.
func (s *Store) RefreshCounts(ctx context.Context, touched domain.Touched) error {
	var appIDs, chatIDs []any
	for t := range touched.Applications {
		id, err := s.appID(ctx, s.client, t)
		if err != nil {
			continue // not persisted (or never will be): nothing to count
		}
		appIDs = append(appIDs, id)
	}
	for k := range touched.Chats {
		id, err := s.chatID(ctx, s.client, k)
		if err != nil {
			continue
		}
		chatIDs = append(chatIDs, id)
	}
	if err := s.execIn(ctx, refreshChatsCount, appIDs); err != nil {
		return err
	}
	return s.execIn(ctx, refreshMessagesCount, chatIDs)
}

func (s *Store) execIn(ctx context.Context, query string, ids []any) error {
	for len(ids) > 0 {
		n := min(len(ids), 500)
		q := strings.Replace(query, "%s", strings.TrimSuffix(strings.Repeat("?,", n), ","), 1)
		if _, err := s.db.ExecContext(ctx, q, ids[:n]...); err != nil {
			return storeErr(err, "")
		}
		ids = ids[n:]
	}
	return nil
}

// ReconcileCounts walks every application and chat in id ranges and fixes the
// counters that differ from their rows. Short statements keep locks brief.
func (s *Store) ReconcileCounts(ctx context.Context) (int, error) {
	fixed := 0
	for _, step := range []struct{ query, table string }{
		{reconcileChatsCount, "applications"},
		{reconcileMessagesCount, "chats"},
	} {
		var maxID int64
		if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+step.table).Scan(&maxID); err != nil {
			return fixed, storeErr(err, "")
		}
		for lo := int64(0); lo < maxID; lo += reconcileStep {
			res, err := s.db.ExecContext(ctx, step.query, lo, lo+reconcileStep)
			if err != nil {
				return fixed, storeErr(err, "")
			}
			n, _ := res.RowsAffected()
			fixed += int(n)
		}
	}
	return fixed, nil
}
