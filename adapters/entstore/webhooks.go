package entstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chatsvc/chat/adapters/webhook"
	"github.com/chatsvc/chat/domain"
)

// Webhooks keeps webhook endpoints and their outbox of deliveries
// (ports.WebhookStore, webhook.Outbox). Raw SQL: claims need locking reads
// that skip what another worker holds, which ent's builders do not say.
type Webhooks struct {
	s    *Store
	body func(domain.Event) ([]byte, error)
	// The embedded profile's positions (its events have none from a
	// stream): one group-commit writer hands them out in commit order.
	mu   sync.Mutex
	last string // the last handed out, sortable; "" until read from the outbox
}

// Webhooks is the store's webhook part; body is a delivery's JSON for an event.
func (s *Store) Webhooks(body func(domain.Event) ([]byte, error)) *Webhooks {
	return &Webhooks{s: s, body: body}
}

func (w *Webhooks) CreateWebhook(ctx context.Context, token domain.Token, e domain.WebhookEndpoint, secret string) error {
	_, err := w.s.db.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, token, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.ID, string(token), e.URL, strings.Join(e.Events, ","), secret, e.CreatedAt.UnixMilli())
	return storeErr(err, "")
}

func (w *Webhooks) Webhooks(ctx context.Context, token domain.Token) ([]domain.WebhookEndpoint, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT id, url, events, created_at, disabled_at FROM webhook_endpoints WHERE token = ? ORDER BY created_at, id`, string(token))
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	out := []domain.WebhookEndpoint{}
	for rows.Next() {
		var e domain.WebhookEndpoint
		var events string
		var created, disabled int64
		if err := rows.Scan(&e.ID, &e.URL, &events, &created, &disabled); err != nil {
			return nil, storeErr(err, "")
		}
		e.Events, e.CreatedAt = strings.Split(events, ","), time.UnixMilli(created).UTC()
		if disabled != 0 {
			e.DisabledAt = time.UnixMilli(disabled).UTC()
		}
		out = append(out, e)
	}
	return out, storeErr(rows.Err(), "")
}

func (w *Webhooks) DeleteWebhook(ctx context.Context, token domain.Token, id string) error {
	res, err := w.s.db.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE token = ? AND id = ?`, string(token), id)
	if err != nil {
		return storeErr(err, "")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFoundf("webhook not found")
	}
	// What it had still to deliver goes with it (its log too).
	_, err = w.s.db.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = ?`, id)
	return storeErr(err, "")
}

func (w *Webhooks) WebhookDeliveries(ctx context.Context, token domain.Token, id, after string, limit int) (domain.Page[domain.WebhookDelivery], error) {
	var page domain.Page[domain.WebhookDelivery]
	if err := w.exists(ctx, token, id); err != nil {
		return page, err
	}
	below := int64(1<<63 - 1)
	if after != "" {
		err := w.s.db.QueryRowContext(ctx, `SELECT id FROM webhook_deliveries WHERE endpoint_id = ? AND event_id = ?`, id, after).Scan(&below)
		if errors.Is(err, sql.ErrNoRows) {
			return page, &domain.MalformedError{Reason: "cursor is not valid: use the next_cursor of a page"}
		} else if err != nil {
			return page, storeErr(err, "")
		}
	}
	rows, err := w.s.db.QueryContext(ctx, `SELECT event_id, pos, type, chat, state, attempts, last_status, last_error, next_attempt, created_at
		FROM webhook_deliveries WHERE endpoint_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, id, below, limit+1)
	if err != nil {
		return page, storeErr(err, "")
	}
	defer rows.Close()
	var items []domain.WebhookDelivery
	for rows.Next() {
		var d domain.WebhookDelivery
		var next, created int64
		if err := rows.Scan(&d.EventID, &d.Position, &d.Type, &d.Chat, &d.State, &d.Attempts, &d.LastStatus, &d.LastError, &next, &created); err != nil {
			return page, storeErr(err, "")
		}
		d.Position = webhook.PlainPosition(d.Position)
		d.NextAttempt, d.CreatedAt = time.UnixMilli(next).UTC(), time.UnixMilli(created).UTC()
		items = append(items, d)
	}
	if err := rows.Err(); err != nil {
		return page, storeErr(err, "")
	}
	return domain.TrimPage(items, limit), nil
}

// Enqueue writes the deliveries of events to the endpoints of their
// applications that asked for them, inside tx when given (the embedded
// queue's commit, so that a committed event has its deliveries) or in a
// transaction of its own. Writing an event's deliveries again changes nothing.
func (w *Webhooks) Enqueue(ctx context.Context, tx SQLTx, events []webhook.Logged) error {
	if tx != nil {
		return w.enqueue(ctx, tx, events)
	}
	t, err := w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr(err, "")
	}
	if err := w.enqueue(ctx, t, events); err != nil {
		_ = t.Rollback()
		return err
	}
	return storeErr(t.Commit(), "")
}

// exists is nil when the application has the endpoint, else domain.ErrNotFound's.
func (w *Webhooks) exists(ctx context.Context, token domain.Token, id string) error {
	var one int
	err := w.s.db.QueryRowContext(ctx, `SELECT 1 FROM webhook_endpoints WHERE token = ? AND id = ?`, string(token), id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFoundf("webhook not found")
	}
	return storeErr(err, "")
}

// ReplayWebhook makes the endpoint's deliveries after the position pending
// again, due now, their retry schedule starting over, and then enables the
// endpoint, in one transaction: a delivery that waited while the endpoint
// was disabled is not sent before the earlier ones made pending here. The
// claims' order sends each chat's in order again.
func (w *Webhooks) ReplayWebhook(ctx context.Context, token domain.Token, id, after string, now time.Time) (int, error) {
	if err := w.exists(ctx, token, id); err != nil {
		return 0, err
	}
	tx, err := w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, storeErr(err, "")
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, next_attempt = ?, since = ?
		WHERE endpoint_id = ? AND pos > ? AND type <> ?`,
		domain.DeliveryPending, now.UnixMilli(), now.UnixMilli(), id, webhook.SortablePosition(after), domain.WebhookDisabled)
	if err != nil {
		return 0, storeErr(err, "")
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = 0 WHERE id = ?`, id); err != nil {
		return 0, storeErr(err, "")
	}
	return int(n), storeErr(tx.Commit(), "")
}

// position is an event's place in the log, sortable: the stream's, or
// embedded the next of this process's (after the outbox's last).
func (w *Webhooks) position(ctx context.Context, tx SQLTx, l webhook.Logged, at time.Time) (string, error) {
	if l.Position != "" {
		return webhook.SortablePosition(l.Position), nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == "" {
		rows, err := tx.QueryContext(ctx, `SELECT MAX(pos) FROM (SELECT pos FROM webhook_deliveries WHERE part = ''
			UNION ALL SELECT pos FROM app_events WHERE part = '') t`)
		if err != nil {
			return "", storeErr(err, "")
		}
		var last sql.NullString
		for rows.Next() {
			err = rows.Scan(&last)
		}
		if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
			return "", storeErr(err, "")
		}
		w.last = webhook.SortablePosition("0-0")
		if last.Valid && last.String != "" {
			w.last = last.String
		}
	}
	w.last = webhook.NextPosition(w.last, at)
	return w.last, nil
}

func (w *Webhooks) enqueue(ctx context.Context, tx SQLTx, events []webhook.Logged) error {
	endpoints := map[domain.Token][]domain.WebhookEndpoint{}
	var feed, deliveries []any
	for _, l := range events {
		kind := domain.EventType(l.Event)
		if kind == "" {
			continue
		}
		token, chat, _, _, at := domain.Subject(l.Event)
		eps, seen := endpoints[token]
		if !seen {
			var err error
			if eps, err = endpointsOf(ctx, tx, token); err != nil {
				return err
			}
			endpoints[token] = eps
		}
		body, err := w.body(l.Event)
		if err != nil {
			return fmt.Errorf("%w: %v", domain.ErrInvalidEvent, err)
		}
		pos, err := w.position(ctx, tx, l, at)
		if err != nil {
			return err
		}
		id := domain.EventID(l.Event)
		feed = append(feed, string(token), pos, id, l.Partition, body, at.UnixMilli())
		for _, e := range eps {
			if e.Wants(kind) {
				deliveries = append(deliveries, e.ID, id, kind, chat, l.Partition, pos,
					body, domain.DeliveryPending, at.UnixMilli(), at.UnixMilli(), at.UnixMilli())
			}
		}
	}
	if len(feed) == 0 {
		return nil
	}
	ignore := "INSERT IGNORE"
	if w.s.isSQLite() {
		ignore = "INSERT OR IGNORE"
	}
	values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?),", len(feed)/6), ",")
	if _, err := tx.ExecContext(ctx, ignore+` INTO app_events (token, pos, event_id, part, body, created_at) VALUES `+values, feed...); err != nil {
		return storeErr(err, "")
	}
	if len(deliveries) == 0 {
		return nil
	}
	values = strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', ?, ?, ?),", len(deliveries)/11), ",")
	_, err := tx.ExecContext(ctx, ignore+` INTO webhook_deliveries (endpoint_id, event_id, type, chat, part, pos, body, state,
		attempts, last_status, last_error, next_attempt, created_at, since) VALUES `+values, deliveries...)
	return storeErr(err, "")
}

func endpointsOf(ctx context.Context, tx SQLTx, token domain.Token) ([]domain.WebhookEndpoint, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, events FROM webhook_endpoints WHERE token = ?`, string(token))
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	var out []domain.WebhookEndpoint
	for rows.Next() {
		var e domain.WebhookEndpoint
		var events string
		if err := rows.Scan(&e.ID, &events); err != nil {
			return nil, storeErr(err, "")
		}
		e.Events = strings.Split(events, ",")
		out = append(out, e)
	}
	return out, storeErr(rows.Err(), "")
}
