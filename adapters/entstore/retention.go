package entstore

import (
	"context"
	"errors"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Retention policies (ports.RetentionStore) in retention_policies: an
// application's (chat 0) and its chats' (overriding it); no row keeps
// messages forever. And what the retention sweep reads: the expired
// messages of a chat, a bounded page at a time.

// retentionOf is the policy of the application (chat 0) or chat, 0 for none.
func retentionOf(ctx context.Context, q SQLTx, token domain.Token, chat int64) (int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT days FROM retention_policies WHERE token = ? AND chat = ?", string(token), chat)
	if err != nil {
		return 0, storeErr(err, "")
	}
	defer rows.Close()
	var days int64
	if rows.Next() {
		if err := rows.Scan(&days); err != nil {
			return 0, storeErr(err, "")
		}
	}
	return days, storeErr(rows.Err(), "")
}

// setRetention keeps days (0: removes the policy).
func (s *Store) setRetention(ctx context.Context, q SQLTx, token domain.Token, chat, days int64) error {
	var err error
	switch {
	case days == 0:
		_, err = q.ExecContext(ctx, "DELETE FROM retention_policies WHERE token = ? AND chat = ?", string(token), chat)
	case s.isSQLite():
		_, err = q.ExecContext(ctx, "INSERT INTO retention_policies (token, chat, days) VALUES (?, ?, ?) ON CONFLICT (token, chat) DO UPDATE SET days = excluded.days", string(token), chat, days)
	default:
		_, err = q.ExecContext(ctx, "INSERT INTO retention_policies (token, chat, days) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE days = VALUES(days)", string(token), chat, days)
	}
	return storeErr(err, "")
}

func (s *Store) SetChatRetention(ctx context.Context, token domain.Token, chat, days int64) error {
	return s.setRetention(ctx, s.db, token, chat, days)
}

func (s *Store) ChatRetention(ctx context.Context, token domain.Token, chat int64) (int64, error) {
	return retentionOf(ctx, s.db, token, chat)
}

func (s *Store) RetentionPolicies(ctx context.Context, after domain.ChatKey, limit int) ([]domain.RetentionPolicy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT token, chat, days FROM retention_policies
WHERE token > ? OR (token = ? AND chat > ?) ORDER BY token, chat LIMIT ?`, string(after.Token), string(after.Token), after.Number, limit)
	if err != nil {
		return nil, storeErr(err, "")
	}
	defer rows.Close()
	var out []domain.RetentionPolicy
	for rows.Next() {
		var p domain.RetentionPolicy
		var token string
		if err := rows.Scan(&token, &p.Chat, &p.Days); err != nil {
			return nil, storeErr(err, "")
		}
		p.Token = domain.Token(token)
		out = append(out, p)
	}
	return out, storeErr(rows.Err(), "")
}

func (s *Store) ChatNumbers(ctx context.Context, token domain.Token, after int64, limit int) ([]int64, error) {
	return int64s(ctx, s.db, `SELECT c.number FROM chats c JOIN applications a ON a.id = c.application_id
WHERE a.token = ? AND c.number > ? ORDER BY c.number LIMIT ?`, string(token), after, limit)
}

// ExpiredMessages walks the chat's messages by number from after, at most
// limit rows: numbers follow creation, so the walk ends (done) at the
// first message created at or after before. Tombstones are passed over.
func (s *Store) ExpiredMessages(ctx context.Context, token domain.Token, chat, after int64, before time.Time, limit int) ([]int64, int64, bool, error) {
	chatID, err := s.chatID(ctx, s.client, domain.ChatKey{Token: token, Number: chat})
	if errors.Is(err, domain.ErrNotFound) {
		return nil, after, true, nil
	}
	if err != nil {
		return nil, after, false, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT number, created_at, deleted FROM messages WHERE chat_id = ? AND number > ? ORDER BY number LIMIT ?", chatID, after, limit)
	if err != nil {
		return nil, after, false, storeErr(err, "")
	}
	defer rows.Close()
	var out []int64
	seen := 0
	for rows.Next() {
		var n int64
		var at time.Time
		var deleted bool
		if err := rows.Scan(&n, &at, &deleted); err != nil {
			return nil, after, false, storeErr(err, "")
		}
		seen++
		if !at.Before(before) {
			return out, after, true, storeErr(rows.Err(), "")
		}
		after = n
		if !deleted {
			out = append(out, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, after, false, storeErr(err, "")
	}
	return out, after, seen < limit, nil
}
