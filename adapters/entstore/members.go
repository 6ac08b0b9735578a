package entstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Members of protected chats (chat_members) and the chats made public
// (chat_visibility), in raw SQL like the other keyed tables: the upserts
// keep a member's joined_at, which ent's cannot say portably. They are
// read from the primary (s.db): a replica may lag a removal.

func (s *Store) ChatRights(ctx context.Context, token domain.Token, chat int64, user domain.UserID) (domain.ChatRights, error) {
	out := domain.ChatRights{Number: chat, Visibility: domain.VisibilityPrivate}
	var vis, role sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT
(SELECT visibility FROM chat_visibility WHERE token = ? AND chat = ?),
(SELECT role FROM chat_members WHERE token = ? AND chat = ? AND user_id = ?)`,
		string(token), chat, string(token), chat, string(user)).Scan(&vis, &role)
	if err != nil {
		return out, storeErr(err, "")
	}
	if vis.Valid {
		out.Visibility = domain.Visibility(vis.String)
	}
	if role.Valid {
		out.Role = domain.Role(role.String)
	}
	return out, nil
}

func (s *Store) PutMember(ctx context.Context, token domain.Token, chat int64, m domain.Member) (domain.Member, error) {
	return s.upsertMember(ctx, token, chat, m, "role = VALUES(role)", "role = excluded.role")
}

func (s *Store) JoinMember(ctx context.Context, token domain.Token, chat int64, m domain.Member) (domain.Member, error) {
	return s.upsertMember(ctx, token, chat, m, "role = role", "role = chat_members.role")
}

// upsertMember inserts m, or updates an existing member's row as the
// dialect's assignment says (joined_at is never changed), and reads back
// what is kept.
func (s *Store) upsertMember(ctx context.Context, token domain.Token, chat int64, m domain.Member, mysqlSet, sqliteSet string) (domain.Member, error) {
	if _, err := s.db.ExecContext(ctx, s.memberUpsert(mysqlSet, sqliteSet), string(token), chat, string(m.User), string(m.Role), m.JoinedAt.UnixMicro()); err != nil {
		return domain.Member{}, storeErr(err, "")
	}
	var role string
	var joined int64
	err := s.db.QueryRowContext(ctx, "SELECT role, joined_micros FROM chat_members WHERE token = ? AND chat = ? AND user_id = ?",
		string(token), chat, string(m.User)).Scan(&role, &joined)
	if err != nil {
		return domain.Member{}, storeErr(err, "")
	}
	return domain.Member{User: m.User, Role: domain.Role(role), JoinedAt: time.UnixMicro(joined).UTC()}, nil
}

// memberUpsert is the statement that inserts a member (token, chat,
// user_id, role, joined_micros), or updates an existing one's row as the
// dialect's assignment says.
func (s *Store) memberUpsert(mysqlSet, sqliteSet string) string {
	if s.isSQLite() {
		return "INSERT INTO chat_members (token, chat, user_id, role, joined_micros) VALUES (?, ?, ?, ?, ?) ON CONFLICT (token, chat, user_id) DO UPDATE SET " + sqliteSet
	}
	return "INSERT INTO chat_members (token, chat, user_id, role, joined_micros) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE " + mysqlSet
}

func (s *Store) RemoveMember(ctx context.Context, token domain.Token, chat int64, user domain.UserID) (bool, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM chat_members WHERE token = ? AND chat = ? AND user_id = ?", string(token), chat, string(user))
	if err != nil {
		return false, storeErr(err, "")
	}
	n, err := res.RowsAffected()
	return n > 0, storeErr(err, "")
}

func (s *Store) Members(ctx context.Context, token domain.Token, chat int64, page domain.PageRequest[domain.UserID]) (domain.Page[domain.Member], error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, role, joined_micros FROM chat_members
WHERE token = ? AND chat = ? AND user_id > ? ORDER BY user_id LIMIT ?`, string(token), chat, string(page.After), page.Limit+1)
	if err != nil {
		return domain.Page[domain.Member]{}, storeErr(err, "")
	}
	defer rows.Close()
	var out []domain.Member
	for rows.Next() {
		var m domain.Member
		var joined int64
		if err := rows.Scan(&m.User, &m.Role, &joined); err != nil {
			return domain.Page[domain.Member]{}, storeErr(err, "")
		}
		m.JoinedAt = time.UnixMicro(joined).UTC()
		out = append(out, m)
	}
	return domain.TrimPage(out, page.Limit), storeErr(rows.Err(), "")
}

// MemberChats walks the user's chats by number, as ChatReader.Chats walks
// every chat: forward from After, or backward from Before.
func (s *Store) MemberChats(ctx context.Context, token domain.Token, user domain.UserID, within []int64, page domain.PageRequest[int64]) (domain.Page[int64], error) {
	if within != nil && len(within) == 0 {
		return domain.Page[int64]{}, nil
	}
	var b strings.Builder
	args := []any{string(token), string(user)}
	b.WriteString("SELECT chat FROM chat_members WHERE token = ? AND user_id = ?")
	if page.After > 0 {
		b.WriteString(" AND chat > ?")
		args = append(args, page.After)
	}
	if page.Before > 0 {
		b.WriteString(" AND chat < ?")
		args = append(args, page.Before)
	}
	if within != nil {
		b.WriteString(" AND chat IN (" + placeholders(len(within)) + ")")
		for _, n := range within {
			args = append(args, n)
		}
	}
	if page.Backward {
		b.WriteString(" ORDER BY chat DESC")
	} else {
		b.WriteString(" ORDER BY chat")
	}
	b.WriteString(" LIMIT ?")
	args = append(args, page.Limit+1)
	rows, err := s.db.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return domain.Page[int64]{}, storeErr(err, "")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return domain.Page[int64]{}, storeErr(err, "")
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return domain.Page[int64]{}, storeErr(err, "")
	}
	return domain.TrimPage(out, page.Limit), nil
}
