package entstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Read positions live in chat_members (read_through), beside the
// membership they belong to, on the primary: a read holds from its answer.

func (s *Store) MarkRead(ctx context.Context, token domain.Token, chat int64, user domain.UserID, through int64) (int64, bool, error) {
	max := "GREATEST(read_through, ?)"
	if s.isSQLite() {
		max = "MAX(read_through, ?)"
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE chat_members SET read_through = "+max+" WHERE token = ? AND chat = ? AND user_id = ?",
		through, string(token), chat, string(user)); err != nil {
		return 0, false, storeErr(err, "")
	}
	var pos int64
	err := s.db.QueryRowContext(ctx, "SELECT read_through FROM chat_members WHERE token = ? AND chat = ? AND user_id = ?",
		string(token), chat, string(user)).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, storeErr(err, "")
	}
	return pos, true, nil
}

func (s *Store) ReadPositions(ctx context.Context, token domain.Token, user domain.UserID, within []int64) ([]domain.ReadPosition, error) {
	if within != nil && len(within) == 0 {
		return nil, nil
	}
	var b strings.Builder
	args := []any{string(token), string(user)}
	b.WriteString("SELECT chat, read_through FROM chat_members WHERE token = ? AND user_id = ?")
	if within != nil {
		b.WriteString(" AND chat IN (" + placeholders(len(within)) + ")")
		for _, n := range within {
			args = append(args, n)
		}
	}
	b.WriteString(" ORDER BY chat LIMIT ?")
	rows, err := s.db.QueryContext(ctx, b.String(), append(args, domain.MaxListedChats)...)
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	var out []domain.ReadPosition
	for rows.Next() {
		var p domain.ReadPosition
		if err := rows.Scan(&p.Chat, &p.Through); err != nil {
			return nil, storeErr(err, "")
		}
		out = append(out, p)
	}
	return out, storeErr(rows.Err(), "")
}

// TallySeed walks the chat's numbers once (the (chat_id, number) index
// only, but for the authored rows' authors) on the primary: the worker may
// have persisted what a replica has not.
func (s *Store) TallySeed(ctx context.Context, token domain.Token, chatNumber int64) (domain.TallySeed, error) {
	var seed domain.TallySeed
	var chatID int64
	var created time.Time
	err := s.db.QueryRowContext(ctx, `SELECT c.id, c.created_at FROM chats c JOIN applications a ON a.id = c.application_id
WHERE a.token = ? AND c.number = ?`, string(token), chatNumber).Scan(&chatID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return seed, nil
	}
	if err != nil {
		return seed, storeErr(err, "")
	}
	seed.ActiveAt = created.UTC()
	rows, err := s.db.QueryContext(ctx, "SELECT number, deleted, "+authorColumn+" FROM messages WHERE chat_id = ? ORDER BY number", chatID)
	if err != nil {
		return seed, storeErr(err, "")
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		var deleted bool
		var author sql.NullString
		if err := rows.Scan(&n, &deleted, &author); err != nil {
			return seed, storeErr(err, "")
		}
		for m := seed.Last + 1; m < n; m++ {
			seed.Missing = append(seed.Missing, m)
		}
		seed.Last = n
		switch {
		case deleted:
			seed.Deleted = append(seed.Deleted, n)
		case author.Valid && author.String != "":
			seed.Own = append(seed.Own, domain.Authored{Number: n, Author: domain.UserID(author.String)})
		}
	}
	if err := rows.Err(); err != nil {
		return seed, storeErr(err, "")
	}
	var lm domain.LastMessage
	var body string
	var author sql.NullString
	err = s.db.QueryRowContext(ctx, "SELECT number, body, created_at, "+authorColumn+" FROM messages WHERE chat_id = ? AND deleted = ? ORDER BY number DESC LIMIT 1",
		chatID, false).Scan(&lm.Number, &body, &lm.CreatedAt, &author)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return seed, storeErr(err, "")
	default:
		lm.Preview, lm.Author, lm.CreatedAt = domain.Preview(body), domain.UserID(author.String), lm.CreatedAt.UTC()
		seed.LastMessage = &lm
		seed.ActiveAt = lm.CreatedAt
	}
	return seed, nil
}

// authorColumn is the messages' author ("" for none).
const authorColumn = "author"
