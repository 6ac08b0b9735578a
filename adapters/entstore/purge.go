package entstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/chatsvc/chat/domain"
)

// The removal of a deleted application's rows (ports.ApplicationPurge), a
// bounded batch a statement: each DELETE takes at most limit rows, so no
// transaction holds many locks nor reaches the replicas as one huge event.

// keyedTables are the tables whose rows name their application by token,
// with the condition that finds an application's rows (one placeholder,
// the token), in the order they are emptied: what refers to a row before it.
var keyedTables = []struct{ table, where string }{
	{"webhook_deliveries", "endpoint_id IN (SELECT id FROM webhook_endpoints WHERE token = ?)"},
	{"webhook_endpoints", "token = ?"},
	{"app_events", "token = ?"},
	{"event_outbox", "token = ?"},
	{"chat_members", "token = ?"},
	{"chat_visibility", "token = ?"},
	{"idempotency_keys", "token = ?"},
	{"application_keys", "token = ?"},
	{"sequence_leases", "scope_token = ?"},
	{"retention_policies", "token = ?"},
}

// sqliteKeyedTables are the embedded profile's own (its sequences).
var sqliteKeyedTables = []struct{ table, where string }{
	{"seq_chats", "token = ?"},
	{"seq_applications", "token = ?"},
}

// deleteSome deletes up to limit rows of table matching where. MySQL says
// so with DELETE … LIMIT; SQLite (built without that) by rowid.
func (s *Store) deleteSome(ctx context.Context, table, where string, limit int, args ...any) (int, error) {
	q := "DELETE FROM " + table + " WHERE " + where + " LIMIT ?"
	if s.isSQLite() {
		q = "DELETE FROM " + table + " WHERE rowid IN (SELECT rowid FROM " + table + " WHERE " + where + " LIMIT ?)"
	}
	res, err := s.db.ExecContext(ctx, q, append(args, limit)...)
	if err != nil {
		return 0, storeErr(err, "")
	}
	n, err := res.RowsAffected()
	return int(n), storeErr(err, "")
}

// hiddenID is the row id of a deleted application; found is false once its row is gone.
func (s *Store) hiddenID(ctx context.Context, token domain.Token) (int64, bool, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, "SELECT id FROM applications WHERE token = ?", hidden(token)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, storeErr(err, "")
}

func (s *Store) PurgeChats(ctx context.Context, token domain.Token, limit int) ([]int64, error) {
	id, found, err := s.hiddenID(ctx, token)
	if err != nil || !found {
		return nil, err
	}
	return int64s(ctx, s.db, "SELECT number FROM chats WHERE application_id = ? ORDER BY number LIMIT ?", id, limit)
}

func (s *Store) PurgeChat(ctx context.Context, token domain.Token, number int64, limit int) (int, bool, error) {
	appID, found, err := s.hiddenID(ctx, token)
	if err != nil || !found {
		return 0, true, err
	}
	var chatID int64
	err = s.db.QueryRowContext(ctx, "SELECT id FROM chats WHERE application_id = ? AND number = ?", appID, number).Scan(&chatID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, storeErr(err, "")
	}
	removed, err := s.deleteSome(ctx, "messages", "chat_id = ?", limit, chatID)
	if err != nil || removed == limit {
		return removed, false, err
	}
	n, err := s.deleteSome(ctx, "sequence_fences", "scope = ? AND parent_id = ?", limit-removed, scopeChat, chatID)
	removed += n
	if err != nil || removed == limit {
		return removed, false, err
	}
	// A message a late event wrote meanwhile keeps the chat for the next batch.
	res, err := s.db.ExecContext(ctx, "DELETE FROM chats WHERE id = ? AND NOT EXISTS (SELECT 1 FROM messages WHERE chat_id = ?)", chatID, chatID)
	if err != nil {
		return removed, false, storeErr(err, "")
	}
	s.chatIDs.Delete(domain.ChatKey{Token: token, Number: number})
	n64, _ := res.RowsAffected()
	return removed + int(n64), n64 == 1, nil
}

func (s *Store) PurgeRest(ctx context.Context, token domain.Token, limit int) (int, bool, error) {
	tables := keyedTables
	if s.isSQLite() {
		tables = append(tables[:len(tables):len(tables)], sqliteKeyedTables...)
	}
	removed := 0
	for _, t := range tables {
		n, err := s.deleteSome(ctx, t.table, t.where, limit-removed, string(token))
		removed += n
		if err != nil || removed == limit {
			return removed, false, err
		}
	}
	appID, found, err := s.hiddenID(ctx, token)
	if err != nil || !found {
		return removed, err == nil, err
	}
	n, err := s.deleteSome(ctx, "sequence_fences", "scope = ? AND parent_id = ?", limit-removed, scopeApp, appID)
	removed += n
	if err != nil || removed == limit {
		return removed, false, err
	}
	// A chat a late event wrote meanwhile keeps the row for the next round.
	res, err := s.db.ExecContext(ctx, "DELETE FROM applications WHERE id = ? AND NOT EXISTS (SELECT 1 FROM chats WHERE application_id = ?)", appID, appID)
	if err != nil {
		return removed, false, storeErr(err, "")
	}
	n64, _ := res.RowsAffected()
	return removed + int(n64), n64 == 1, nil
}
