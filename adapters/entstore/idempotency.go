package entstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
)

// Idempotency keys kept with what they created (idempotency_keys, raw SQL
// like the sequence tables): the projection writes the key an event carries
// in the transaction of the event's rows, so a key is in MySQL exactly when
// what it created is. The sequencer asks (FirstAnswer) only when Redis lost
// the key, never on the way of a create.

// keepKeys records the keys the events of one application carry. A key
// already kept is replaced only by a later request (the same key reused
// after it expired), so a redelivered event changes nothing.
func (s *Store) keepKeys(ctx context.Context, tx *ent.Client, events []domain.Event) error {
	var rows []any
	n := 0
	for _, e := range events {
		idem := domain.IdempotencyOf(e)
		if idem.Key == "" {
			continue
		}
		token, _, number, version, at := domain.Subject(e)
		if version > 0 {
			number = version // an edit's or delete's answer is its version
		}
		rows = append(rows, string(token), idem.Key, idem.Fingerprint, number, epochOf(e), at.UnixMicro(), at.Add(domain.IdempotencyTTL).UnixMicro())
		n++
	}
	if n == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO idempotency_keys (token, idem_key, fingerprint, number, epoch, at_micros, expires_at) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(" + placeholders(7) + ")")
	}
	if s.isSQLite() {
		b.WriteString(` ON CONFLICT (token, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, number = excluded.number,
epoch = excluded.epoch, at_micros = excluded.at_micros, expires_at = excluded.expires_at WHERE excluded.at_micros > idempotency_keys.at_micros`)
	} else {
		// at_micros last: the assignments before it compare with the old one.
		later := "VALUES(at_micros) > at_micros"
		b.WriteString(" ON DUPLICATE KEY UPDATE fingerprint = IF(" + later + ", VALUES(fingerprint), fingerprint)" +
			", number = IF(" + later + ", VALUES(number), number), epoch = IF(" + later + ", VALUES(epoch), epoch)" +
			", expires_at = IF(" + later + ", VALUES(expires_at), expires_at), at_micros = GREATEST(at_micros, VALUES(at_micros))")
	}
	_, err := tx.ExecContext(ctx, b.String(), rows...)
	return storeErr(err, "")
}

func epochOf(e domain.Event) int64 {
	switch e := e.(type) {
	case domain.ChatCreated:
		return e.Epoch
	case domain.MessageCreated:
		return e.Epoch
	case domain.MessageEdited:
		return e.Epoch
	case domain.MessageDeleted:
		return e.Epoch
	}
	return 0
}

// FirstAnswer finds the answer kept with the application's key, if it has
// not expired.
func (s *Store) FirstAnswer(ctx context.Context, token domain.Token, key string) (domain.FirstAnswer, bool, error) {
	var a domain.FirstAnswer
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT fingerprint, number, epoch, at_micros FROM idempotency_keys
WHERE token = ? AND idem_key = ? AND expires_at > ?`, string(token), key, time.Now().UnixMicro()).
		Scan(&a.Fingerprint, &a.Number, &a.Epoch, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, storeErr(err, "")
	}
	a.At = time.UnixMicro(at).UTC()
	return a, true, nil
}

// purgeExpiredKeys drops the keys past their day, a bounded delete at a
// time: part of the reconcile's sweep, so that the table holds about a day
// of keyed writes.
func (s *Store) purgeExpiredKeys(ctx context.Context) error {
	q := "DELETE FROM idempotency_keys WHERE expires_at < ? LIMIT 1000"
	if s.isSQLite() { // SQLite's DELETE takes no LIMIT unless built to
		q = "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at < ? LIMIT 1000)"
	}
	for {
		res, err := s.db.ExecContext(ctx, q, time.Now().UnixMicro())
		if err != nil {
			return storeErr(err, "")
		}
		if n, err := res.RowsAffected(); err != nil || n < 1000 {
			return storeErr(err, "")
		}
	}
}
