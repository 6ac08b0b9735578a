package entstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
)

// Fences (ports.SequenceFences) are raw SQL: they need locking reads, which
// ent's builders do not say in both dialects.
//
// A fence and the projection's epoch check serialize on the parent row (the
// application for chat numbers, the chat for message numbers): the fence
// holds it exclusively while it reads the highest persisted number and
// starts the new epoch; a batch reads the epochs it checks against under a
// lock of its own. So
// either a batch commits before the fence reads the maximum (and its numbers
// count), or it sees the new epoch and is checked against the fence. (A
// batch locks the parents exclusively, since it also adds to their
// counters: see lockRows.)

const (
	scopeApp  = "app"
	scopeChat = "chat"
	// versionEpochShift puts the epoch in an edit version's high bits, so
	// that every edit allocated after a fence outranks every edit before it.
	versionEpochShift = 32
)

func (s *Store) lockForUpdate() string {
	if s.isSQLite() {
		return "" // SQLite transactions already exclude each other
	}
	return " FOR UPDATE"
}

func (s *Store) lockShared() string {
	if s.isSQLite() {
		return ""
	}
	return " LOCK IN SHARE MODE"
}

// Reserve raises the reservation of a sequence to upTo (never lowers it).
// Leases are keyed by public identifiers: a chat's messages are numbered
// before its row is persisted. The lease's row is locked, as the degraded
// path's numbering locks it (takeNumber): either that numbering comes first
// and its numbers (taken) are seen here and skipped, or it comes after and
// numbers above the reservation made here.
func (s *Store) Reserve(ctx context.Context, token domain.Token, chat, next, upTo int64) (skip, reserved int64, err error) {
	err = s.inTx(ctx, func(tx *ent.Client) error {
		held, taken, err := s.lease(ctx, tx, token, chat)
		if err != nil {
			return err
		}
		reserved = upTo
		if taken >= next {
			skip, reserved = taken, taken+max(upTo-next+1, 1)
		}
		reserved = max(reserved, held)
		return s.setLease(ctx, tx, token, chat, reserved, taken)
	})
	return skip, reserved, err
}

// lease reads a sequence's reservation and the highest number the degraded
// path took (0, 0 if it never had either), locking its row.
// The row is made first if it is missing: two transactions that locked the
// gap where it would be could only deadlock inserting it.
func (s *Store) lease(ctx context.Context, tx *ent.Client, token domain.Token, chat int64) (reserved, taken int64, err error) {
	if err := s.setLease(ctx, tx, token, chat, 0, 0); err != nil {
		return 0, 0, err
	}
	err = scanRow(ctx, tx, []any{&reserved, &taken}, "SELECT reserved, taken FROM sequence_leases WHERE scope_token = ? AND scope_chat = ?"+s.lockForUpdate(), string(token), chat)
	return reserved, taken, err
}

func (s *Store) setLease(ctx context.Context, tx *ent.Client, token domain.Token, chat, reserved, taken int64) error {
	q := "INSERT INTO sequence_leases (scope_token, scope_chat, reserved, taken) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE reserved = GREATEST(reserved, VALUES(reserved)), taken = GREATEST(taken, VALUES(taken))"
	if s.isSQLite() {
		q = "INSERT INTO sequence_leases (scope_token, scope_chat, reserved, taken) VALUES (?, ?, ?, ?) ON CONFLICT (scope_token, scope_chat) DO UPDATE SET reserved = MAX(reserved, excluded.reserved), taken = MAX(taken, excluded.taken)"
	}
	_, err := tx.ExecContext(ctx, q, string(token), chat, reserved, taken)
	return storeErr(err, "")
}

// reserved reads a sequence's reservation (0 if it never asked for one),
// under a shared lock so that it cannot grow while a fence reads it.
func (s *Store) reserved(ctx context.Context, tx *ent.Client, token domain.Token, chat int64) (int64, error) {
	var n int64
	err := scanRow(ctx, tx, []any{&n}, "SELECT reserved FROM sequence_leases WHERE scope_token = ? AND scope_chat = ?"+s.lockShared(), string(token), chat)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// FenceChats starts a new epoch of the application's chat numbers, resuming
// after the highest of the persisted chats, the reservation and floor.
func (s *Store) FenceChats(ctx context.Context, token domain.Token, floor int64) (resume, epoch int64, err error) {
	err = s.inTx(ctx, func(tx *ent.Client) error {
		var id, cur int64
		err := scanRow(ctx, tx, []any{&id, &cur}, "SELECT id, seq_epoch FROM applications WHERE token = ?"+s.lockForUpdate(), string(token))
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFoundf("application not found")
		}
		if err != nil {
			return err
		}
		var last sql.NullInt64
		if err := scanRow(ctx, tx, []any{&last}, "SELECT MAX(number) FROM chats WHERE application_id = ?"+s.lockShared(), id); err != nil {
			return err
		}
		lease, err := s.reserved(ctx, tx, token, 0)
		if err != nil {
			return err
		}
		epoch, resume = cur+1, max(last.Int64, lease, floor)
		return s.recordFence(ctx, tx, "applications", scopeApp, id, epoch, resume)
	})
	return resume, epoch, err
}

// FenceMessages starts a new epoch of the chat's message numbers and edit versions.
func (s *Store) FenceMessages(ctx context.Context, token domain.Token, chat, floor int64) (resume, version, epoch int64, err error) {
	err = s.inTx(ctx, func(tx *ent.Client) error {
		appID, err := s.appID(ctx, tx, token)
		if err != nil {
			return err
		}
		var id, cur int64
		err = scanRow(ctx, tx, []any{&id, &cur}, "SELECT id, seq_epoch FROM chats WHERE application_id = ? AND number = ?"+s.lockForUpdate(), appID, chat)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFoundf("chat %d not found in this application", chat)
		}
		if err != nil {
			return err
		}
		var last, lastVersion sql.NullInt64
		if err := scanRow(ctx, tx, []any{&last, &lastVersion}, "SELECT MAX(number), MAX(version) FROM messages WHERE chat_id = ?"+s.lockShared(), id); err != nil {
			return err
		}
		lease, err := s.reserved(ctx, tx, token, chat)
		if err != nil {
			return err
		}
		epoch, resume = cur+1, max(last.Int64, lease, floor)
		version = max(lastVersion.Int64, epoch<<versionEpochShift)
		return s.recordFence(ctx, tx, "chats", scopeChat, id, epoch, resume)
	})
	return resume, version, epoch, err
}

func (s *Store) recordFence(ctx context.Context, tx *ent.Client, table, scope string, id, epoch, resume int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET seq_epoch = ? WHERE id = ?", epoch, id); err != nil {
		return storeErr(err, "")
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO sequence_fences (scope, parent_id, epoch, resume_after, created_at) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
		scope, id, epoch, resume)
	return storeErr(err, "")
}

func scanRow(ctx context.Context, tx *ent.Client, dest []any, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return storeErr(err, "")
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return storeErr(err, "")
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return storeErr(err, "")
	}
	return storeErr(rows.Err(), "")
}

// numbered is an event's claim on a number of a sequence, for the epoch check.
type numbered struct {
	parent int   // the application's or chat's row id
	number int64 // the number the event claims (the message's, for an edit)
	epoch  int64
	event  domain.Event
}

// checkEpochs refuses events numbered in an older epoch of their sequence
// above the fence that ended it: their numbers may have been handed out
// again. It locks the parents' rows (see above, and lockRows).
func (s *Store) checkEpochs(ctx context.Context, tx *ent.Client, table, scope string, claims []numbered) error {
	if len(claims) == 0 {
		return nil
	}
	ids := make([]int, 0, len(claims))
	for _, c := range claims {
		ids = append(ids, c.parent)
	}
	current, err := s.lockRows(ctx, tx, table, ids)
	if err != nil {
		return err
	}
	for _, c := range claims {
		if c.epoch >= current[c.parent] {
			continue
		}
		var resume int64
		err := scanRow(ctx, tx, []any{&resume},
			"SELECT resume_after FROM sequence_fences WHERE scope = ? AND parent_id = ? AND epoch > ? ORDER BY epoch LIMIT 1",
			scope, c.parent, c.epoch)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && c.number > resume {
			return conflict(c.event, fmt.Sprintf("numbered in epoch %d, above the fence at %d of epoch %d", c.epoch, resume, current[c.parent]))
		}
	}
	return nil
}

// conflict is the alarm of an event that cannot be applied under its number.
func conflict(e domain.Event, why string) error {
	_, _, number, _, _ := domain.Subject(e)
	return fmt.Errorf("%w: %T %s #%d: %s", domain.ErrNumberConflict, e, e.Scope(), number, why)
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
