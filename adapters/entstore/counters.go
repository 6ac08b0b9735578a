package entstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/chatsvc/chat/domain"
)

// Counters are recomputed from the rows rather than incremented, so a
// recomputation is exact whatever happened before it (redeliveries, crashes
// between the insert and the count, several workers), and doing it twice is
// harmless.
//
// The counting is a plain SELECT, a consistent non-locking read, and only
// then is the parent row updated. One UPDATE … SET n = (SELECT COUNT(*) …)
// would lock the counted rows and deadlock with the inserts of concurrent
// batches. A count that misses a batch committing meanwhile is corrected by
// the next refresh, which that batch schedules.
type counter struct {
	parent, column, child, fk string
}

var (
	chatsCount    = counter{parent: "applications", column: "chats_count", child: "chats", fk: "application_id"}
	messagesCount = counter{parent: "chats", column: "messages_count", child: "messages", fk: "chat_id"}
)

const (
	batchIDs      = 500
	reconcileStep = 1000
)

// RefreshCounts recomputes the counters of the touched applications and chats.
func (s *Store) RefreshCounts(ctx context.Context, touched domain.Touched) error {
	var appIDs, chatIDs []int64
	for t := range touched.Applications {
		if id, err := s.appID(ctx, s.client, t); err == nil { // not persisted: nothing to count
			appIDs = append(appIDs, int64(id))
		}
	}
	for k := range touched.Chats {
		if id, err := s.chatID(ctx, s.client, k); err == nil {
			chatIDs = append(chatIDs, int64(id))
		}
	}
	for _, job := range []struct {
		c   counter
		ids []int64
	}{{chatsCount, appIDs}, {messagesCount, chatIDs}} {
		for ids := job.ids; len(ids) > 0; {
			n := min(len(ids), batchIDs)
			if _, err := s.recount(ctx, job.c, ids[:n], nil); err != nil {
				return err
			}
			ids = ids[n:]
		}
	}
	return nil
}

// recount sets the counter of each parent id to its number of child rows.
// With stored given (the counters as read), only differing ones are written.
// It returns how many counters it wrote.
func (s *Store) recount(ctx context.Context, c counter, ids []int64, stored map[int64]int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT %s, COUNT(*) FROM %s WHERE %s IN (%s) GROUP BY %s", c.fk, c.child, c.fk, in, c.fk), args...)
	if err != nil {
		return 0, storeErr(err, "")
	}
	counts := make(map[int64]int64, len(ids))
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return 0, storeErr(err, "")
		}
		counts[id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, storeErr(err, "")
	}
	var set strings.Builder
	var setArgs, whereArgs []any
	for _, id := range ids {
		if old, ok := stored[id]; stored != nil && ok && old == counts[id] {
			continue
		}
		set.WriteString(" WHEN ? THEN ?")
		setArgs = append(setArgs, id, counts[id])
		whereArgs = append(whereArgs, id)
	}
	if len(whereArgs) == 0 {
		return 0, nil
	}
	q := fmt.Sprintf("UPDATE %s SET %s = CASE id%s END WHERE id IN (%s)", c.parent, c.column, set.String(),
		strings.TrimSuffix(strings.Repeat("?,", len(whereArgs)), ","))
	if _, err := s.db.ExecContext(ctx, q, append(setArgs, whereArgs...)...); err != nil {
		return 0, storeErr(err, "")
	}
	return len(whereArgs), nil
}

// ReconcileCounts walks every application and chat in id ranges and fixes the
// counters that differ from their rows.
func (s *Store) ReconcileCounts(ctx context.Context) (int, error) {
	fixed := 0
	for _, c := range []counter{chatsCount, messagesCount} {
		var maxID int64
		if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+c.parent).Scan(&maxID); err != nil {
			return fixed, storeErr(err, "")
		}
		for lo := int64(0); lo < maxID; lo += reconcileStep {
			stored, ids, err := s.storedCounts(ctx, c, lo, lo+reconcileStep)
			if err != nil {
				return fixed, err
			}
			for len(ids) > 0 {
				n := min(len(ids), batchIDs)
				k, err := s.recount(ctx, c, ids[:n], stored)
				if err != nil {
					return fixed, err
				}
				fixed += k
				ids = ids[n:]
			}
		}
	}
	return fixed, nil
}

func (s *Store) storedCounts(ctx context.Context, c counter, lo, hi int64) (map[int64]int64, []int64, error) {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT id, %s FROM %s WHERE id > ? AND id <= ?", c.column, c.parent), lo, hi)
	if err != nil {
		return nil, nil, storeErr(err, "")
	}
	defer rows.Close()
	stored := map[int64]int64{}
	var ids []int64
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, nil, storeErr(err, "")
		}
		stored[id] = n
		ids = append(ids, id)
	}
	return stored, ids, storeErr(rows.Err(), "")
}
