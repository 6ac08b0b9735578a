package entstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
)

// Counters follow the writes: the transaction that inserts rows adds what
// it inserted (the insert's affected rows) to the parents' counters, so a
// counter costs as much as the batch, not as the chat, and a redelivered
// event, which inserts nothing, adds nothing. A batch that met rows already
// there cannot tell which of its own it inserted; it leaves those parents
// to an exact recount (RefreshCounts), and ReconcileCounts sweeps every
// counter now and then, in small steps, as a safety net.
//
// Every transaction that writes a counter locks the parents' rows first,
// in id order (lockRows): increments, recounts and fences serialize on
// them, so that a recount's COUNT and its write see the same rows, and no
// two batches deadlock upgrading the shared locks of their inserts.
type counter struct {
	parent, column, child, fk string
	live                      string // the condition a child row is counted under
}

var (
	chatsCount    = counter{parent: "applications", column: "chats_count", child: "chats", fk: "application_id", live: "1 = 1"}
	messagesCount = counter{parent: "chats", column: "messages_count", child: "messages", fk: "chat_id", live: "deleted = 0"} // tombstones do not count
)

const (
	batchIDs = 500
	// reconcileStep parents are recounted per transaction (their rows stay
	// locked meanwhile), with a pause between steps.
	reconcileStep  = 100
	reconcilePause = 10 * time.Millisecond
)

// lockRows locks the parents' rows exclusively, in id order, and returns
// their sequence epochs.
func (s *Store) lockRows(ctx context.Context, tx *ent.Client, table string, ids []int) (map[int]int64, error) {
	uniq := slices.Clone(ids)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	args := make([]any, len(uniq))
	for i, id := range uniq {
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT id, seq_epoch FROM %s WHERE id IN (%s) ORDER BY id%s",
		table, placeholders(len(args)), s.lockForUpdate()), args...)
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	epochs := make(map[int]int64, len(uniq))
	for rows.Next() {
		var id int
		var e int64
		if err := rows.Scan(&id, &e); err != nil {
			return nil, storeErr(err, "")
		}
		epochs[id] = e
	}
	return epochs, storeErr(rows.Err(), "")
}

// addCounts adds to the counters of parents whose rows the transaction locked.
func (s *Store) addCounts(ctx context.Context, tx *ent.Client, c counter, add map[int]int64) error {
	if len(add) == 0 {
		return nil
	}
	var set strings.Builder
	args := make([]any, 0, 3*len(add))
	ids := make([]any, 0, len(add))
	for id, n := range add {
		set.WriteString(" WHEN ? THEN ?")
		args = append(args, id, n)
		ids = append(ids, id)
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s = %s + CASE id%s END WHERE id IN (%s)",
		c.parent, c.column, c.column, set.String(), placeholders(len(ids))), append(args, ids...)...)
	return storeErr(err, "")
}

// RefreshCounts recomputes the counters of the touched applications and
// chats, one application at a time (a statement reaches rows of one
// application: see apply).
func (s *Store) RefreshCounts(ctx context.Context, touched domain.Touched) error {
	type ids struct{ apps, chats []int64 }
	byApp := map[domain.Token]*ids{}
	of := func(t domain.Token) *ids {
		if byApp[t] == nil {
			byApp[t] = &ids{}
		}
		return byApp[t]
	}
	for t := range touched.Applications {
		if id, err := s.appID(ctx, s.client, t); err == nil { // not persisted: nothing to count
			of(t).apps = append(of(t).apps, int64(id))
		}
	}
	for k := range touched.Chats {
		if id, err := s.chatID(ctx, s.client, k); err == nil {
			of(k.Token).chats = append(of(k.Token).chats, int64(id))
		}
	}
	tokens := make([]domain.Token, 0, len(byApp))
	for t := range byApp {
		tokens = append(tokens, t)
	}
	slices.Sort(tokens)
	for _, t := range tokens {
		for _, job := range []struct {
			c   counter
			ids []int64
		}{{chatsCount, byApp[t].apps}, {messagesCount, byApp[t].chats}} {
			for ids := job.ids; len(ids) > 0; {
				n := min(len(ids), batchIDs)
				if _, err := s.recount(ctx, job.c, ids[:n], nil); err != nil {
					return err
				}
				ids = ids[n:]
			}
		}
	}
	return nil
}

// recount sets the counter of each parent id to its number of child rows,
// in one transaction that holds the parents' rows (lockRows), so that no
// increment commits between the count and the write. With stored given
// (the counters as read), only differing ones are written. It returns how
// many counters it wrote.
func (s *Store) recount(ctx context.Context, c counter, ids []int64, stored map[int64]int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	written := 0
	err := s.inTx(ctx, func(tx *ent.Client) error {
		written = 0
		locked := make([]int, len(ids))
		args := make([]any, len(ids))
		for i, id := range ids {
			locked[i], args[i] = int(id), id
		}
		if _, err := s.lockRows(ctx, tx, c.parent, locked); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT %s, COUNT(*) FROM %s WHERE %s IN (%s) AND %s GROUP BY %s", c.fk, c.child, c.fk, placeholders(len(ids)), c.live, c.fk), args...)
		if err != nil {
			return storeErr(err, "")
		}
		counts := make(map[int64]int64, len(ids))
		for rows.Next() {
			var id, n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return storeErr(err, "")
			}
			counts[id] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return storeErr(err, "")
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
			return nil
		}
		q := fmt.Sprintf("UPDATE %s SET %s = CASE id%s END WHERE id IN (%s)", c.parent, c.column, set.String(), placeholders(len(whereArgs)))
		if _, err := tx.ExecContext(ctx, q, append(setArgs, whereArgs...)...); err != nil {
			return storeErr(err, "")
		}
		written = len(whereArgs)
		return nil
	})
	return written, err
}

// ReconcileCounts walks every application and chat in id ranges and fixes the
// counters that differ from their rows. The same sweep drops the idempotency
// keys past their day (purgeExpiredKeys).
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
			// A sweep takes its time: the counters are right already but for
			// what a crash left behind, and each step holds its rows locked.
			select {
			case <-ctx.Done():
				return fixed, ctx.Err()
			case <-time.After(reconcilePause):
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
	return fixed, s.purgeExpiredKeys(ctx)
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
