// Package sqlite holds the adapters that keep their state in the embedded
// profile's SQLite database, in the tables its migrations create: the
// number sequences (Sequencer), the event queue that numbers and persists
// writes in group-committed transactions (Queue), and the idempotency
// claims. Their transactions are the ent store's (entstore.SQLTx), so that
// a number and the row it numbers are committed together.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// queryRow scans the first row of a query; sql.ErrNoRows if there is none.
func queryRow(ctx context.Context, tx entstore.SQLTx, dest []any, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// Sequencer implements ports.Sequencer in SQLite (tables seq_applications
// and seq_chats, created by the SQLite migrations). Every allocation is part
// of a committed transaction (synchronous=FULL), so a number handed out
// before a crash is never handed out again after it.
type Sequencer struct {
	db    *sql.DB
	seeds ports.SequenceSeeds
}

// NewSequencer uses db's sequence tables; seeds tells where the sequence of
// an application stored before its sequence was stands.
func NewSequencer(db *sql.DB, seeds ports.SequenceSeeds) *Sequencer {
	return &Sequencer{db: db, seeds: seeds}
}

func dbErr(err error) error {
	if err == nil || errors.Is(err, domain.ErrNotFound) || errors.Is(err, context.Canceled) {
		return err
	}
	return domain.Unavailable("database", err)
}

// RegisterApplication starts the application's chat sequence at 0.
func (s *Sequencer) RegisterApplication(ctx context.Context, token domain.Token) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO seq_applications (token, last_chat) VALUES (?, 0) ON CONFLICT DO NOTHING`, string(token))
	return dbErr(err)
}

// lastChat reads the application's sequence, seeding it from the store when
// the application was stored without being registered.
func (s *Sequencer) lastChat(ctx context.Context, tx entstore.SQLTx, token domain.Token) (int64, error) {
	var last int64
	err := queryRow(ctx, tx, []any{&last}, `SELECT last_chat FROM seq_applications WHERE token = ?`, string(token))
	if !errors.Is(err, sql.ErrNoRows) {
		return last, err
	}
	last, err = s.seeds.ChatSeed(ctx, token)
	if err != nil {
		return 0, err
	}
	// Chats up to last existed before this sequence did: their message
	// sequences are seeded from the store too (see ensureChat).
	_, err = tx.ExecContext(ctx, `INSERT INTO seq_applications (token, last_chat, seeded_upto) VALUES (?, ?, ?)`, string(token), last, last)
	return last, err
}

// ensureChat checks that the chat was allocated and that its message
// sequence exists, seeding it from the store for a chat that predates the
// application's own sequence.
func (s *Sequencer) ensureChat(ctx context.Context, tx entstore.SQLTx, token domain.Token, chat int64) error {
	last, err := s.lastChat(ctx, tx, token)
	if err != nil {
		return err
	}
	if chat > last {
		return domain.NotFoundf("chat %d not found in this application", chat)
	}
	var exists int
	err = queryRow(ctx, tx, []any{&exists}, `SELECT 1 FROM seq_chats WHERE token = ? AND chat = ?`, string(token), chat)
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var seededUpto, number, version int64
	if err := queryRow(ctx, tx, []any{&seededUpto}, `SELECT seeded_upto FROM seq_applications WHERE token = ?`, string(token)); err != nil {
		return err
	}
	if chat <= seededUpto {
		if number, version, err = s.seeds.MessageSeed(ctx, token, chat); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO seq_chats (token, chat, last_message, last_version) VALUES (?, ?, ?, ?)`,
		string(token), chat, number, version)
	return err
}

// Allocate numbers the draft inside tx: the next chat number of a
// ChatCreated, message number of a MessageCreated, version of a
// MessageEdited (whose message must have been allocated).
func (s *Sequencer) Allocate(ctx context.Context, tx entstore.SQLTx, draft domain.Event) (domain.Event, error) {
	return s.Begin().Allocate(ctx, tx, draft)
}

// Allocation numbers the drafts of one transaction. A chat whose sequence
// it has checked stays checked until the transaction ends (sequences are
// never removed, and a chat's number never goes back), so a group commit
// of many creates in a few chats checks each chat once, not once a create.
type Allocation struct {
	s       *Sequencer
	ensured map[chatKey]bool
}

type chatKey struct {
	token domain.Token
	chat  int64
}

// Begin starts the allocations of one transaction: use the Allocation in
// that transaction only (a retried transaction begins again).
func (s *Sequencer) Begin() *Allocation { return &Allocation{s: s, ensured: map[chatKey]bool{}} }

func (a *Allocation) ensureChat(ctx context.Context, tx entstore.SQLTx, token domain.Token, chat int64) error {
	k := chatKey{token, chat}
	if a.ensured[k] {
		return nil
	}
	if err := a.s.ensureChat(ctx, tx, token, chat); err != nil {
		return err
	}
	a.ensured[k] = true
	return nil
}

// Allocate is Sequencer.Allocate within the allocation's transaction tx.
func (a *Allocation) Allocate(ctx context.Context, tx entstore.SQLTx, draft domain.Event) (domain.Event, error) {
	s := a.s
	switch e := draft.(type) {
	case domain.ChatCreated:
		last, err := s.lastChat(ctx, tx, e.Token)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE seq_applications SET last_chat = ? WHERE token = ?`, last+1, string(e.Token)); err != nil {
			return nil, err
		}
		e.Number = last + 1
		return e, nil
	case domain.MessageCreated:
		if err := a.ensureChat(ctx, tx, e.Token, e.Chat); err != nil {
			return nil, err
		}
		err := queryRow(ctx, tx, []any{&e.Number}, `UPDATE seq_chats SET last_message = last_message + 1
WHERE token = ? AND chat = ? RETURNING last_message`, string(e.Token), e.Chat)
		return e, err
	case domain.MessageEdited:
		v, err := a.nextVersion(ctx, tx, e.Token, e.Chat, e.Number)
		e.Version = v
		return e, err
	case domain.MessageDeleted:
		v, err := a.nextVersion(ctx, tx, e.Token, e.Chat, e.Number)
		e.Version = v
		return e, err
	}
	return nil, fmt.Errorf("cannot number %T", draft)
}

// nextVersion allocates an edit (or delete) version of an allocated message.
func (a *Allocation) nextVersion(ctx context.Context, tx entstore.SQLTx, token domain.Token, chat, message int64) (int64, error) {
	if err := a.ensureChat(ctx, tx, token, chat); err != nil {
		return 0, err
	}
	var v int64
	err := queryRow(ctx, tx, []any{&v}, `UPDATE seq_chats SET last_version = last_version + 1
WHERE token = ? AND chat = ? AND last_message >= ? RETURNING last_version`, string(token), chat, message)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, domain.NotFoundf("message %d not found in chat %d", message, chat)
	}
	return v, err
}
