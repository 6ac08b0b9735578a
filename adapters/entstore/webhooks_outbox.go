package entstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/chatsvc/chat/adapters/webhook"
	"github.com/chatsvc/chat/domain"
)

// Claim takes runs of due deliveries of enabled endpoints (see
// webhook.Outbox) in three steps. First, without locks, the heads: each
// endpoint and chat's oldest pending delivery, when it is due. Then,
// locking, those still pending and due, skipping what another worker is
// claiming, and leases them. (One locking statement finding the heads
// would skip the rows other workers lock in it too, and could take a
// chat's second delivery while its first is being claimed.) Last, each
// head's run: its chat's next pending deliveries to its endpoint, which
// wait behind the leased head and so need no lease of their own. Read
// committed: the locking read locks the heads it takes, and no gaps that
// the intake's inserts would wait for.
func (w *Webhooks) Claim(ctx context.Context, now time.Time, lease time.Duration, limit, run int, holds map[string]string) ([][]webhook.Due, error) {
	// The heads from the pending deliveries' index alone: a chat's oldest
	// pending one to each endpoint (a chat's positions differ), then each
	// looked up (the join in that order: from the deliveries' side, it
	// would read every due one).
	then := "STRAIGHT_JOIN"
	if w.s.isSQLite() {
		then = "CROSS JOIN"
	}
	q := `SELECT d.id FROM (SELECT endpoint_id, chat, MIN(pos) AS pos FROM webhook_deliveries WHERE state = 'pending'
		GROUP BY endpoint_id, chat) h ` + then + ` webhook_deliveries d ON d.state = 'pending' AND d.endpoint_id = h.endpoint_id
		AND d.chat = h.chat AND d.pos = h.pos
		WHERE d.next_attempt <= ? AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.disabled_at <> 0)`
	args := []any{now.UnixMilli()}
	for part, pos := range holds {
		q += ` AND NOT (d.part = ? AND d.pos >= ?)`
		args = append(args, part, webhook.SortablePosition(pos))
	}
	q += ` ORDER BY d.next_attempt, d.id LIMIT ?`
	args = append(args, limit)
	heads, err := int64s(ctx, w.s.db, q, args...)
	if err != nil || len(heads) == 0 {
		return nil, err
	}
	tx, err := w.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	lock := ""
	if !w.s.isSQLite() {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, endpoint_id, chat, pos FROM webhook_deliveries
		WHERE id IN (`+placeholders(len(heads))+`) AND state = 'pending' AND next_attempt <= ?`+lock, append(anys(heads), now.UnixMilli())...)
	if err != nil {
		return nil, storeErr(err, "")
	}
	var taken []head
	for rows.Next() {
		var h head
		if err := rows.Scan(&h.id, &h.endpoint, &h.chat, &h.pos); err != nil {
			_ = rows.Close()
			return nil, storeErr(err, "")
		}
		taken = append(taken, h)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil || len(taken) == 0 {
		return nil, storeErr(err, "")
	}
	ids := make([]int64, len(taken))
	for i, h := range taken {
		ids[i] = h.id
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt = ? WHERE id IN (`+placeholders(len(ids))+`)`,
		append([]any{now.Add(lease).UnixMilli()}, anys(ids)...)...); err != nil {
		return nil, storeErr(err, "")
	}
	runs, err := w.runs(ctx, tx, taken, now, run, holds)
	if err != nil {
		return nil, err
	}
	return runs, storeErr(tx.Commit(), "")
}

// head is a leased head: its run is what follows it in its chat.
type head struct {
	id          int64
	endpoint    string
	chat        int64
	part, pos   string
	nextAttempt int64
}

// runs reads each head's run: its chat's pending deliveries to its
// endpoint from it on, in order, up to run of them, ending before the
// first one not due (a retry's wait holds up what follows it) or held
// back. One union of a range of the pending index each: MariaDB streams a
// UNION ALL of plain selects (a union of derived tables would be written
// to disk, bodies and all).
func (w *Webhooks) runs(ctx context.Context, tx SQLTx, heads []head, now time.Time, run int, holds map[string]string) ([][]webhook.Due, error) {
	parts := make([]string, len(heads))
	var args []any
	for i, h := range heads {
		parts[i] = `SELECT d.id, d.endpoint_id, d.chat, d.part, d.pos, d.next_attempt, d.event_id, d.type, d.body, d.attempts, d.created_at,
			d.since, e.url, e.secret FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.disabled_at = 0
			WHERE d.state = 'pending' AND d.endpoint_id = ? AND d.chat = ? AND d.pos >= ? AND (d.pos > ? OR d.id >= ?) ORDER BY d.pos, d.id LIMIT ?`
		if w.s.isSQLite() {
			parts[i] = "SELECT * FROM (" + parts[i] + ")"
		} else {
			parts[i] = "(" + parts[i] + ")"
		}
		args = append(args, h.endpoint, h.chat, h.pos, h.pos, h.id, run)
	}
	rows, err := tx.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	type pair struct {
		endpoint string
		chat     int64
	}
	type found struct {
		head
		due webhook.Due
	}
	of := map[pair][]found{}
	for rows.Next() {
		var f found
		var created, since int64
		d := &f.due
		if err := rows.Scan(&f.id, &f.endpoint, &f.chat, &f.part, &f.pos, &f.nextAttempt, &d.Delivery.ID, &d.Type, &d.Delivery.Body,
			&d.Attempts, &created, &since, &d.Delivery.URL, &d.Delivery.Secret); err != nil {
			return nil, storeErr(err, "")
		}
		d.Row, d.CreatedAt, d.Since = f.id, time.UnixMilli(created).UTC(), time.UnixMilli(max(since, created)).UTC()
		of[pair{f.endpoint, f.chat}] = append(of[pair{f.endpoint, f.chat}], f)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(err, "")
	}
	var out [][]webhook.Due
	for _, h := range heads {
		fs := of[pair{h.endpoint, h.chat}]
		delete(of, pair{h.endpoint, h.chat}) // one run a chat, however many heads it seemed to have
		slices.SortFunc(fs, func(a, b found) int { return cmp.Or(strings.Compare(a.pos, b.pos), cmp.Compare(a.id, b.id)) })
		var r []webhook.Due
		for i, f := range fs {
			if i == 0 && f.id != h.id || i > 0 && (f.nextAttempt > now.UnixMilli() || held(holds, f.part, f.pos)) {
				break
			}
			r = append(r, f.due)
		}
		if len(r) > 0 {
			out = append(out, r)
		}
	}
	return out, nil
}

// held says whether a delivery of the log's partition part at pos may
// have earlier ones of its chat not in the outbox yet.
func held(holds map[string]string, part, pos string) bool {
	from, ok := holds[part]
	return ok && pos >= webhook.SortablePosition(from)
}

// begin starts a transaction that reads committed rows: its locking reads
// lock no gaps.
func (w *Webhooks) begin(ctx context.Context) (*sql.Tx, error) {
	var opts *sql.TxOptions
	if !w.s.isSQLite() {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := w.s.db.BeginTx(ctx, opts)
	return tx, storeErr(err, "")
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// int64s runs a query of one integer column.
func int64s(ctx context.Context, db *sql.DB, q string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, storeErr(err, "")
		}
		out = append(out, n)
	}
	return out, storeErr(rows.Err(), "")
}

// Record writes a run's outcomes in one statement. A delivery another
// worker finished meanwhile (its lease ran out while this one was sending)
// stays finished.
func (w *Webhooks) Record(ctx context.Context, done []webhook.Recorded) error {
	if len(done) == 0 {
		return nil
	}
	var state, status, msg, next, ids []any
	for _, r := range done {
		state = append(state, r.Row, r.State)
		status = append(status, r.Row, r.Status)
		msg = append(msg, r.Row, truncate(r.Error, 255))
		next = append(next, r.Row, r.NextAttempt.UnixMilli())
		ids = append(ids, r.Row)
	}
	byRow := "CASE id" + strings.Repeat(" WHEN ? THEN ?", len(done)) + " END"
	args := append(append(append(append(state, status...), msg...), next...), ids...)
	_, err := w.s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET state = `+byRow+`, attempts = attempts + 1, last_status = `+byRow+`,
		last_error = `+byRow+`, next_attempt = `+byRow+` WHERE id IN (`+placeholders(len(done))+`) AND state = ?`, append(args, domain.DeliveryPending)...)
	return storeErr(err, "")
}

// Disable: see webhook.Outbox. The record is written once, by whichever
// worker disables the endpoint.
func (w *Webhooks) Disable(ctx context.Context, row int64, now, quiet time.Time) (bool, error) {
	var endpoint, pos string
	err := w.s.db.QueryRowContext(ctx, `SELECT endpoint_id, pos FROM webhook_deliveries WHERE id = ?`, row).Scan(&endpoint, &pos)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // removed meanwhile
	} else if err != nil {
		return false, storeErr(err, "")
	}
	// One transaction: nobody sees the endpoint disabled without its record.
	tx, err := w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, storeErr(err, "")
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = ? WHERE id = ? AND disabled_at = 0 AND created_at <= ?
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = ? AND d.state = ? AND d.next_attempt >= ?)`,
		now.UnixMilli(), endpoint, quiet.UnixMilli(), endpoint, domain.DeliveryDelivered, quiet.UnixMilli())
	if err != nil {
		return false, storeErr(err, "")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	reason := "disabled: nothing delivered since " + quiet.UTC().Format(time.RFC3339)
	body, err := json.Marshal(map[string]any{"type": domain.WebhookDisabled, "timestamp": now.UTC(),
		"data": map[string]any{"webhook": endpoint, "reason": reason}})
	if err != nil {
		return false, err
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, type, chat, part, pos, body, state,
		attempts, last_status, last_error, next_attempt, created_at, since) VALUES (?, ?, ?, 0, '', ?, ?, ?, 0, 0, ?, ?, ?, ?)`,
		endpoint, domain.NewRecordID(), domain.WebhookDisabled, pos, body, domain.DeliveryFailed, reason, now.UnixMilli(), now.UnixMilli(), now.UnixMilli()); err != nil {
		return false, storeErr(err, "")
	}
	return true, storeErr(tx.Commit(), "")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
