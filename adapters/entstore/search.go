package entstore

import (
	"context"
	"strings"
	"time"

	"github.com/chatsvc/chat/adapters/textfold"
	"github.com/chatsvc/chat/domain"
)

// SearchMessages is the fallback while the search index is down: LIKE finds
// the candidates (every term and phrase word in the body; case- and
// accent-insensitive under MySQL's utf8mb4_unicode_ci, ASCII case only on
// SQLite), and textfold.Matches keeps those that are hits, as the indexes
// do. It scans the chat in number order, so results come by number, not by
// relevance, and it is slower on a large chat: a degraded mode, not the
// search. Raw SQL: the LIKE ... ESCAPE clauses have no ent builder.
func (s *Store) SearchMessages(ctx context.Context, token domain.Token, chat int64, q domain.SearchQuery, page domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], error) {
	chatID, err := s.chatID(ctx, s.rclient, domain.ChatKey{Token: token, Number: chat})
	if err != nil {
		return domain.Page[domain.Hit]{}, err
	}
	where := "chat_id = ? AND deleted = ? AND number > ?"
	var likes []any
	for _, t := range q.Words() {
		where += " AND body LIKE ? ESCAPE '!'"
		likes = append(likes, "%"+escapeLike(t)+"%")
	}
	const chunk = 200
	hits := make([]domain.Hit, 0, page.Limit+1)
	after := page.After.Number
	for len(hits) <= page.Limit {
		args := append([]any{chatID, false, after}, likes...)
		rows, err := s.rdb.QueryContext(ctx, "SELECT "+messageColumns+" FROM messages WHERE "+where+" ORDER BY number LIMIT ?", append(args, chunk)...)
		if err != nil {
			return domain.Page[domain.Hit]{}, storeErr(err, "")
		}
		n := 0
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				rows.Close()
				return domain.Page[domain.Hit]{}, storeErr(err, "")
			}
			n, after = n+1, m.Number
			if body := m.Body.String(); len(hits) <= page.Limit && textfold.Matches(body, q.Terms, q.Phrases, q.Exclude) {
				hits = append(hits, domain.Hit{Message: m, Highlight: textfold.MarkWords(body, q.Words())})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return domain.Page[domain.Hit]{}, storeErr(err, "")
		}
		if n < chunk {
			break
		}
	}
	return domain.TrimPage(hits, page.Limit), nil
}

func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// CountMessages counts the live messages after a scan position: what a walk
// from there has ahead of it (progress of the index's repair).
func (s *Store) CountMessages(ctx context.Context, after int64) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM messages WHERE id > ? AND deleted = ?", after, false).Scan(&n)
	return n, storeErr(err, "")
}

// ScanMessages walks persisted messages in id order, for the index's rebuild
// and repair. after and next are row ids: they stay inside the adapters.
func (s *Store) ScanMessages(ctx context.Context, after int64, limit int, updatedSince time.Time) ([]domain.IndexedMessage, int64, error) {
	q := `SELECT m.id, a.token, c.number, m.number, m.body, m.author, m.kind, m.attributes, m.reply_to, m.version, m.created_at, m.updated_at
FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
WHERE m.id > ? AND m.deleted = ? AND a.token NOT LIKE '~%'` // a deleted application's (hidden) are not indexed again
	args := []any{after, false}
	if !updatedSince.IsZero() {
		q += " AND m.updated_at >= ?"
		args = append(args, updatedSince.UTC())
	}
	q += " ORDER BY m.id LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, after, storeErr(err, "")
	}
	defer rows.Close()
	var out []domain.IndexedMessage
	next := after
	for rows.Next() {
		var m domain.IndexedMessage
		var token string
		if err := rows.Scan(&next, &token, &m.Chat, &m.Number, &m.Body, &m.Author, &m.Type, &m.Attributes, &m.ReplyTo, &m.Version, &m.CreatedAt, &m.UpdatedAt); err != nil {
			return nil, after, storeErr(err, "")
		}
		m.Token = domain.Token(token)
		m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
		out = append(out, m)
	}
	return out, next, storeErr(rows.Err(), "")
}
