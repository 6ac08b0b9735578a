package entstore

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
	"github.com/chatsvc/chat/ports"
)

// The degraded write path: while Redis cannot be reached, OutboxQueue
// numbers a write in the system of record, writes its rows, and keeps its
// event in event_outbox for a relay to append to the stream once Redis is
// back, all in one transaction. A write is answered once it is durable.
//
// Why its numbers never meet Redis's: Redis hands out a number only up to
// its reservation 'l', and every 'l' it holds is at most the highest of the
// sequence's reservation (sequence_leases.reserved), the lease every
// sequence has without asking (floor) and its highest persisted number
// (what a fence resumes after). takeNumber numbers above all of them, under
// the lease row's lock, and raises reserved and taken to the number it
// took. A reservation made after that sees taken and makes Redis skip past
// it in the same script that raises 'l' (Reserve); a fence made after it
// resumes above it (the row is persisted, and reserved holds it). So a
// number from here is above every number Redis handed out or may hand out
// under what was reserved before it, and Redis hands out nothing under
// what is reserved after it without first skipping past it: on any number
// of api instances, whether they reach Redis or not.
//
// Edit versions are not leased: a degraded edit takes a version in the
// upper half of its chat's epoch (degradedBand), above every version Redis
// hands out in that epoch, and the relay fences the chat once the edit is
// appended, so that Redis's next versions start in the next epoch, above it.

// degradedBand: the versions of epoch e that degraded edits take, from
// e<<32 | 1<<31 up; Redis's take from e<<32 up, and never come near 1<<31
// edits of one chat within one epoch.
const degradedBand = 1 << 31

// OutboxEntryFunc encodes a numbered event as the stream entry the relay
// will append (its topic and wire fields).
type OutboxEntryFunc func(ctx context.Context, e domain.Event) (ports.OutboxEntry, error)

// OutboxQueue is the degraded path's ports.EventQueue.
type OutboxQueue struct {
	store *Store
	floor int64
	entry OutboxEntryFunc
	last  atomic.Int64 // the highest outbox id this queue committed
}

// NewOutboxQueue numbers above floor, the sequencer's lease (CHAT_SEQUENCE_LEASE):
// what Redis hands out without a reservation.
func NewOutboxQueue(store *Store, floor int64, entry OutboxEntryFunc) *OutboxQueue {
	return &OutboxQueue{store: store, floor: floor, entry: entry}
}

// Append numbers the draft, writes its rows and keeps its event in the
// outbox, in one transaction; a retry with the same idempotency key gets the
// first answer (as the projection kept it). Two requests with one new key
// at once meet on the key's row: one waits or deadlocks and is retried, and
// finds the other's answer.
func (q *OutboxQueue) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	if idem.Key != "" {
		draft = domain.WithIdempotency(draft, idem)
	}
	for attempt := 1; ; attempt++ {
		var ev domain.Event
		var replayed bool
		var id int64
		err := q.store.inTx(ctx, func(tx *ent.Client) (err error) {
			ev, replayed, err = q.store.takeNumber(ctx, tx, draft, idem, q.floor)
			if err != nil || replayed {
				return err
			}
			if id, err = q.store.keepInOutbox(ctx, tx, ev, q.entry); err != nil {
				return err
			}
			_, err = q.store.apply(ctx, tx, []domain.Event{ev})
			return err
		})
		for cur := q.last.Load(); err == nil && id > cur && !q.last.CompareAndSwap(cur, id); cur = q.last.Load() {
		}
		if err != nil {
			q.store.forgetChats([]domain.Event{draft})
			if deadlocked(err) && attempt < 4 {
				continue
			}
			return nil, false, err
		}
		return ev, replayed, nil
	}
}

// LastID is the highest outbox id of the events this queue committed: once
// the outbox is relayed up to it, every write it answered is in the stream.
func (q *OutboxQueue) LastID() int64 { return q.last.Load() }

func deadlocked(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// takeNumber numbers the draft above everything Redis may hand out (see
// above), or finds the answer its idempotency key was first given. It locks
// the sequence's parent row first (the application's, or the chat's), then
// the key's, as the projection does.
func (s *Store) takeNumber(ctx context.Context, tx *ent.Client, draft domain.Event, idem domain.Idempotency, floor int64) (domain.Event, bool, error) {
	token, chat, number, _, _ := domain.Subject(draft)
	var parent, epoch int64
	var err error
	if _, ok := draft.(domain.ChatCreated); ok {
		parent, epoch, err = s.lockApp(ctx, tx, token)
	} else {
		parent, epoch, err = s.lockChat(ctx, tx, token, chat, floor)
	}
	if err != nil {
		return nil, false, err
	}
	if idem.Key != "" {
		if first, found, err := s.keptAnswer(ctx, tx, token, idem.Key); err != nil {
			return nil, false, err
		} else if found {
			if first.Fingerprint != idem.Fingerprint {
				return nil, false, domain.ErrIdempotencyKeyReused
			}
			ev, _ := domain.Numbered(draft, first.Number, first.Epoch, first.At)
			return ev, true, nil
		}
	}
	var n int64
	switch draft.(type) {
	case domain.ChatCreated:
		n, err = s.takeChatNumber(ctx, tx, token, parent, floor)
	case domain.MessageCreated:
		n, err = s.takeMessageNumber(ctx, tx, token, chat, parent, floor)
	case domain.MessageEdited, domain.MessageDeleted:
		_, isEdit := draft.(domain.MessageEdited)
		n, err = s.takeVersion(ctx, tx, token, chat, parent, epoch, number, floor, isEdit)
	default:
		err = errors.New("cannot number this event")
	}
	if err != nil {
		return nil, false, err
	}
	ev, _ := domain.Numbered(draft, n, epoch, time.Time{})
	return ev, false, nil
}

// keptAnswer reads the key's first answer, locking its row (or the gap
// where it would be).
func (s *Store) keptAnswer(ctx context.Context, tx *ent.Client, token domain.Token, key string) (domain.FirstAnswer, bool, error) {
	var a domain.FirstAnswer
	var at int64
	err := scanRow(ctx, tx, []any{&a.Fingerprint, &a.Number, &a.Epoch, &at},
		"SELECT fingerprint, number, epoch, at_micros FROM idempotency_keys WHERE token = ? AND idem_key = ? AND expires_at > ?"+s.lockForUpdate(),
		string(token), key, time.Now().UnixMicro())
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	a.At = time.UnixMicro(at).UTC()
	return a, err == nil, err
}

// next takes the sequence's next number above its reservation, what was
// taken here before, floor and last (its highest persisted number), and
// records it as both.
func (s *Store) next(ctx context.Context, tx *ent.Client, token domain.Token, seq, floor, last int64) (int64, error) {
	reserved, taken, err := s.lease(ctx, tx, token, seq)
	if err != nil {
		return 0, err
	}
	n := max(reserved, taken, floor, last) + 1
	return n, s.setLease(ctx, tx, token, seq, n, n)
}

func (s *Store) lockApp(ctx context.Context, tx *ent.Client, token domain.Token) (id, epoch int64, err error) {
	err = scanRow(ctx, tx, []any{&id, &epoch}, "SELECT id, seq_epoch FROM applications WHERE token = ?"+s.lockForUpdate(), string(token))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, domain.NotFoundf("application not found")
	}
	return id, epoch, err
}

func (s *Store) takeChatNumber(ctx context.Context, tx *ent.Client, token domain.Token, app, floor int64) (int64, error) {
	var last sql.NullInt64
	if err := scanRow(ctx, tx, []any{&last}, "SELECT MAX(number) FROM chats WHERE application_id = ?", app); err != nil {
		return 0, err
	}
	return s.next(ctx, tx, token, 0, floor, last.Int64)
}

// lockChat locks the chat's row, as a fence does. A chat not persisted may
// still be on its way (numbered by Redis, queued there): that is a
// dependency's outage (503), not a chat that does not exist (404).
func (s *Store) lockChat(ctx context.Context, tx *ent.Client, token domain.Token, chat, floor int64) (id, epoch int64, err error) {
	appID, err := s.appID(ctx, tx, token)
	if err != nil {
		return 0, 0, err
	}
	err = scanRow(ctx, tx, []any{&id, &epoch}, "SELECT id, seq_epoch FROM chats WHERE application_id = ? AND number = ?"+s.lockForUpdate(), appID, chat)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, s.missing(ctx, tx, token, 0, chat, floor, "chat %d not found in this application")
	}
	return id, epoch, err
}

// missing tells a number never handed out (not found) from one that may be
// queued in Redis, unpersisted (unavailable).
func (s *Store) missing(ctx context.Context, tx *ent.Client, token domain.Token, seq, n, floor int64, notFound string, args ...any) error {
	reserved, taken, err := s.lease(ctx, tx, token, seq)
	if err != nil {
		return err
	}
	if n > max(reserved, taken, floor) {
		return domain.NotFoundf(notFound, append([]any{n}, args...)...)
	}
	return domain.Unavailable("redis", errors.New("the write it follows may be queued in Redis"))
}

func (s *Store) takeMessageNumber(ctx context.Context, tx *ent.Client, token domain.Token, chat, id, floor int64) (int64, error) {
	var last sql.NullInt64
	if err := scanRow(ctx, tx, []any{&last}, "SELECT MAX(number) FROM messages WHERE chat_id = ?", id); err != nil {
		return 0, err
	}
	return s.next(ctx, tx, token, chat, floor, last.Int64)
}

// takeVersion takes an edit's or a deletion's version, in the degraded band
// of the chat's epoch: the chat's versions taken here are kept under the
// lease of sequence -chat.
func (s *Store) takeVersion(ctx context.Context, tx *ent.Client, token domain.Token, chat, id, epoch, number, floor int64, isEdit bool) (int64, error) {
	var deleted bool
	err := scanRow(ctx, tx, []any{&deleted}, "SELECT deleted FROM messages WHERE chat_id = ? AND number = ?", id, number)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, s.missing(ctx, tx, token, chat, number, floor, "message %d not found in chat %d", chat)
	case err != nil:
		return 0, err
	case deleted && isEdit:
		return 0, domain.ErrDeleted
	}
	_, taken, err := s.lease(ctx, tx, token, -chat)
	if err != nil {
		return 0, err
	}
	v := max(taken, epoch<<versionEpochShift|degradedBand) + 1
	return v, s.setLease(ctx, tx, token, -chat, 0, v)
}

func (s *Store) keepInOutbox(ctx context.Context, tx *ent.Client, ev domain.Event, entryOf OutboxEntryFunc) (int64, error) {
	e, err := entryOf(ctx, ev)
	if err != nil {
		return 0, err
	}
	token, chat, _, _, _ := domain.Subject(ev)
	res, err := tx.ExecContext(ctx, "INSERT INTO event_outbox (token, chat, topic, uuid, payload, metadata) VALUES (?, ?, ?, ?, ?, ?)",
		string(token), chat, e.Topic, e.UUID, e.Payload, []byte(e.MD))
	if err != nil {
		return 0, storeErr(err, "")
	}
	id, err := res.LastInsertId()
	return id, storeErr(err, "")
}

// Pending reads the outbox's oldest events. A chat's events are committed
// in the order of their ids (each locks the chat's row, or the
// application's for a chat's creation), so a chat's part of what is read
// has no hole before its last event.
func (s *Store) Pending(ctx context.Context, limit int) ([]ports.OutboxEntry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, token, chat, topic, uuid, payload, metadata FROM event_outbox ORDER BY id LIMIT ?", limit)
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	var out []ports.OutboxEntry
	for rows.Next() {
		var e ports.OutboxEntry
		var token string
		var md []byte
		if err := rows.Scan(&e.ID, &token, &e.Chat, &e.Topic, &e.UUID, &e.Payload, &md); err != nil {
			return nil, storeErr(err, "")
		}
		e.Token, e.MD = domain.Token(token), string(md)
		out = append(out, e)
	}
	return out, storeErr(rows.Err(), "")
}

// Relayed drops events the relay appended to the stream.
func (s *Store) Relayed(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	_, err := s.db.ExecContext(ctx, "DELETE FROM event_outbox WHERE id IN ("+placeholders(len(ids))+")", args...)
	return storeErr(err, "")
}
