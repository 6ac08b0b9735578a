// Package embedded holds the embedded profile's own adapters: a number
// sequencer kept in the embedded SQLite database. (The embedded store is the
// ent store on SQLite, and the queue is the stream package's in-process one.)
package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

const schema = `
CREATE TABLE IF NOT EXISTS seq_applications (
  token TEXT PRIMARY KEY,
  last_chat INTEGER NOT NULL,
  seeded_upto INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seq_chats (
  token TEXT NOT NULL,
  chat INTEGER NOT NULL,
  last_message INTEGER NOT NULL,
  last_version INTEGER NOT NULL,
  PRIMARY KEY (token, chat)
);`

// Sequencer implements ports.Sequencer in SQLite. Every allocation is a
// committed transaction (synchronous=FULL), so a number handed out before a
// crash is never handed out again after it.
type Sequencer struct {
	db    *sql.DB
	seeds ports.SequenceSeeds
}

// NewSequencer creates its tables if needed.
func NewSequencer(ctx context.Context, db *sql.DB, seeds ports.SequenceSeeds) (*Sequencer, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("sequencer tables: %w", err)
	}
	return &Sequencer{db: db, seeds: seeds}, nil
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
func (s *Sequencer) lastChat(ctx context.Context, tx *sql.Tx, token domain.Token) (int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT last_chat FROM seq_applications WHERE token = ?`, string(token)).Scan(&last)
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

func (s *Sequencer) inTx(ctx context.Context, fn func(tx *sql.Tx) (int64, error)) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, dbErr(err)
	}
	n, err := fn(tx)
	if err != nil {
		_ = tx.Rollback()
		return 0, dbErr(err)
	}
	return n, dbErr(tx.Commit())
}

// NextChatNumber allocates the application's next chat number.
func (s *Sequencer) NextChatNumber(ctx context.Context, token domain.Token) (int64, error) {
	return s.inTx(ctx, func(tx *sql.Tx) (int64, error) {
		last, err := s.lastChat(ctx, tx, token)
		if err != nil {
			return 0, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE seq_applications SET last_chat = ? WHERE token = ?`, last+1, string(token))
		return last + 1, err
	})
}

// ensureChat checks that the chat was allocated and that its message
// sequence exists, seeding it from the store for a chat that predates the
// application's own sequence.
func (s *Sequencer) ensureChat(ctx context.Context, tx *sql.Tx, token domain.Token, chat int64) error {
	last, err := s.lastChat(ctx, tx, token)
	if err != nil {
		return err
	}
	if chat > last {
		return domain.NotFoundf("chat %d not found in this application", chat)
	}
	var exists int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM seq_chats WHERE token = ? AND chat = ?`, string(token), chat).Scan(&exists)
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var seededUpto, number, version int64
	if err := tx.QueryRowContext(ctx, `SELECT seeded_upto FROM seq_applications WHERE token = ?`, string(token)).Scan(&seededUpto); err != nil {
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

// NextMessageNumber allocates the chat's next message number.
func (s *Sequencer) NextMessageNumber(ctx context.Context, token domain.Token, chat int64) (int64, error) {
	return s.inTx(ctx, func(tx *sql.Tx) (int64, error) {
		if err := s.ensureChat(ctx, tx, token, chat); err != nil {
			return 0, err
		}
		var n int64
		err := tx.QueryRowContext(ctx, `UPDATE seq_chats SET last_message = last_message + 1
WHERE token = ? AND chat = ? RETURNING last_message`, string(token), chat).Scan(&n)
		return n, err
	})
}

// NextEditVersion checks that the message was allocated and returns a fresh version.
func (s *Sequencer) NextEditVersion(ctx context.Context, token domain.Token, chat, message int64) (int64, error) {
	return s.inTx(ctx, func(tx *sql.Tx) (int64, error) {
		if err := s.ensureChat(ctx, tx, token, chat); err != nil {
			return 0, err
		}
		var v int64
		err := tx.QueryRowContext(ctx, `UPDATE seq_chats SET last_version = last_version + 1
WHERE token = ? AND chat = ? AND last_message >= ? RETURNING last_version`, string(token), chat, message).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, domain.NotFoundf("message %d not found in chat %d", message, chat)
		}
		return v, err
	})
}
