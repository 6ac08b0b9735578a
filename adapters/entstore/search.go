package entstore

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
	"github.com/chatsvc/chat/ent/message"

	entsql "entgo.io/ent/dialect/sql"
)

// SearchMessages is the fallback while the search index is down: every term
// must occur in the body (LIKE, case- and accent-insensitive under MySQL's
// utf8mb4_unicode_ci collation; case-insensitive for ASCII only on SQLite).
// It scans the chat in number order, so results come by number, not by
// relevance, and it is slower on a large chat: a degraded mode, not the search.
func (s *Store) SearchMessages(ctx context.Context, token domain.Token, chat int64, q domain.SearchQuery, page domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], error) {
	chatID, err := s.chatID(ctx, s.client, domain.ChatKey{Token: token, Number: chat})
	if err != nil {
		return domain.Page[domain.Hit]{}, err
	}
	query := s.client.Message.Query().Where(message.ChatID(chatID), message.NumberGT(page.After.Number))
	for _, t := range q.Terms {
		pattern := "%" + escapeLike(t) + "%"
		query = query.Where(func(sel *entsql.Selector) {
			sel.Where(entsql.P(func(b *entsql.Builder) {
				b.Ident(sel.C(message.FieldBody)).WriteString(" LIKE ").Arg(pattern).WriteString(` ESCAPE '!'`)
			}))
		})
	}
	rows, err := query.Order(ent.Asc(message.FieldNumber)).Limit(page.Limit + 1).All(ctx)
	if err != nil {
		return domain.Page[domain.Hit]{}, storeErr(err, "")
	}
	mark := highlighter(q.Terms)
	hits := make([]domain.Hit, len(rows))
	for i, r := range rows {
		hits[i] = domain.Hit{Message: toMessage(r), Highlight: mark(r.Body)}
	}
	return domain.TrimPage(hits, page.Limit), nil
}

func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// highlighter marks every case-insensitive occurrence of the terms.
func highlighter(terms []string) func(string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = regexp.QuoteMeta(t)
	}
	re := regexp.MustCompile("(?i)(" + strings.Join(quoted, "|") + ")")
	return func(body string) string { return re.ReplaceAllString(body, "<em>$1</em>") }
}

// ScanMessages walks persisted messages in id order, for the index's rebuild
// and repair. after and next are row ids: they stay inside the adapters.
func (s *Store) ScanMessages(ctx context.Context, after int64, limit int, updatedSince time.Time) ([]domain.IndexedMessage, int64, error) {
	q := `SELECT m.id, a.token, c.number, m.number, m.body, m.version, m.created_at, m.updated_at
FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
WHERE m.id > ?`
	args := []any{after}
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
		if err := rows.Scan(&next, &token, &m.Chat, &m.Number, &m.Body, &m.Version, &m.CreatedAt, &m.UpdatedAt); err != nil {
			return nil, after, storeErr(err, "")
		}
		m.Token = domain.Token(token)
		m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
		out = append(out, m)
	}
	return out, next, storeErr(rows.Err(), "")
}
