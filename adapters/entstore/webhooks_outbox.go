package entstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/chatsvc/chat/adapters/webhook"
	"github.com/chatsvc/chat/domain"
)

// Claim takes due deliveries of enabled endpoints in two steps. First,
// without locks, the heads:
// pending deliveries no earlier pending delivery of the same endpoint and
// chat precedes. Then, locking, those still pending and due, skipping what
// another worker is claiming, and leases them. (One locking statement with
// the subquery would skip the rows other workers lock in the subquery too,
// and could take a chat's second delivery while its first is being claimed.)
func (w *Webhooks) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int, holds map[string]string) ([]webhook.Due, error) {
	q := `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.disabled_at = 0
		WHERE d.state = 'pending' AND d.next_attempt <= ?`
	args := []any{now.UnixMilli()}
	for part, pos := range holds {
		q += ` AND NOT (d.part = ? AND d.pos >= ?)`
		args = append(args, part, webhook.SortablePosition(pos))
	}
	q += ` AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o WHERE o.endpoint_id = d.endpoint_id AND o.chat = d.chat
		AND o.state = 'pending' AND (o.pos < d.pos OR (o.pos = d.pos AND o.id < d.id)))
		ORDER BY d.next_attempt, d.id LIMIT ?`
	args = append(args, limit)
	heads, err := int64s(ctx, w.s.db, q, args...)
	if err != nil || len(heads) == 0 {
		return nil, err
	}
	tx, err := w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer func() { _ = tx.Rollback() }()
	marks := strings.TrimSuffix(strings.Repeat("?,", len(heads)), ",")
	in := make([]any, 0, len(heads)+1)
	for _, id := range heads {
		in = append(in, id)
	}
	lock := ""
	if !w.s.isSQLite() {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := tx.QueryContext(ctx, `SELECT d.id, d.event_id, d.type, d.body, d.attempts, d.created_at, d.since, e.url, e.secret
		FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.id IN (`+marks+`) AND d.state = 'pending' AND d.next_attempt <= ? AND e.disabled_at = 0`+lock, append(in, now.UnixMilli())...)
	if err != nil {
		return nil, storeErr(err, "")
	}
	var due []webhook.Due
	for rows.Next() {
		var d webhook.Due
		var created, since int64
		if err := rows.Scan(&d.Row, &d.Delivery.ID, &d.Type, &d.Delivery.Body, &d.Attempts, &created, &since, &d.Delivery.URL, &d.Delivery.Secret); err != nil {
			_ = rows.Close()
			return nil, storeErr(err, "")
		}
		d.CreatedAt, d.Since = time.UnixMilli(created).UTC(), time.UnixMilli(max(since, created)).UTC()
		due = append(due, d)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil || len(due) == 0 {
		return nil, storeErr(err, "")
	}
	marks = strings.TrimSuffix(strings.Repeat("?,", len(due)), ",")
	args = []any{now.Add(lease).UnixMilli()}
	for _, d := range due {
		args = append(args, d.Row)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt = ? WHERE id IN (`+marks+`)`, args...); err != nil {
		return nil, storeErr(err, "")
	}
	return due, storeErr(tx.Commit(), "")
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

// Record writes an attempt's outcome. A delivery another worker finished
// meanwhile (its lease ran out while this one was sending) stays finished.
func (w *Webhooks) Record(ctx context.Context, row int64, r webhook.Result) error {
	_, err := w.s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, last_status = ?,
		last_error = ?, next_attempt = ? WHERE id = ? AND state = ?`,
		r.State, r.Status, truncate(r.Error, 255), r.NextAttempt.UnixMilli(), row, domain.DeliveryPending)
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
	res, err := w.s.db.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = ? WHERE id = ? AND disabled_at = 0 AND created_at <= ?
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
	_, err = w.s.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, type, chat, part, pos, body, state,
		attempts, last_status, last_error, next_attempt, created_at, since) VALUES (?, ?, ?, 0, '', ?, ?, ?, 0, 0, ?, ?, ?, ?)`,
		endpoint, domain.NewRecordID(), domain.WebhookDisabled, pos, body, domain.DeliveryFailed, reason, now.UnixMilli(), now.UnixMilli(), now.UnixMilli())
	return true, storeErr(err, "")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
