package entstore

// The rows each kind of event writes, inside the transaction projection.go
// opens (ApplyEvents, ApplyAllocated); every statement is idempotent.

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
	"github.com/chatsvc/chat/ent/message"
)

// insertChats inserts the chats' rows in one statement. A chat already there
// is a redelivery, a row a message event had to create first (its
// created_at is then corrected to the creation's), or, if it was created
// earlier than this event, another chat under the same number: an alarm.
func (s *Store) insertChats(ctx context.Context, tx *ent.Client, events []domain.ChatCreated, recount *domain.Touched) error {
	if len(events) == 0 {
		return nil
	}
	claims := make([]numbered, len(events))
	rows := make([][]any, len(events))
	for i, e := range events {
		appID, err := s.appID(ctx, tx, e.Token)
		if err != nil {
			return eventErr(err)
		}
		claims[i] = numbered{parent: appID, number: e.Number, epoch: e.Epoch, event: e}
		rows[i] = []any{appID, e.Number, e.CreatedAt, e.CreatedAt}
	}
	if err := s.checkEpochs(ctx, tx, "applications", scopeApp, claims); err != nil {
		return err
	}
	inserted, err := s.insertIgnore(ctx, tx, "chats", []string{"application_id", "number", "created_at", "updated_at"}, rows)
	if err != nil {
		return err
	}
	if inserted == len(events) {
		add := map[int]int64{}
		for _, c := range claims {
			add[c.parent]++
		}
		return s.addCounts(ctx, tx, chatsCount, add)
	}
	for i, e := range events {
		recount.Add(e) // which rows this statement inserted is not known: count them exactly later
		var at time.Time
		if err := scanRow(ctx, tx, []any{&at}, "SELECT created_at FROM chats WHERE application_id = ? AND number = ?", claims[i].parent, e.Number); err != nil {
			return storeErr(err, "")
		}
		switch stored, want := at.UTC().Truncate(time.Microsecond), e.CreatedAt.UTC().Truncate(time.Microsecond); {
		case stored.Before(want):
			return conflict(e, "the store holds a chat created earlier under this number")
		case stored.After(want):
			if _, err := tx.ExecContext(ctx, "UPDATE chats SET created_at = ? WHERE application_id = ? AND number = ?", e.CreatedAt, claims[i].parent, e.Number); err != nil {
				return storeErr(err, "")
			}
		}
	}
	return nil
}

// insertIgnore inserts rows in one statement, leaving alone those whose
// unique key is taken, and returns how many it inserted.
func (s *Store) insertIgnore(ctx context.Context, tx *ent.Client, table string, columns []string, rows [][]any) (int, error) {
	return s.insertIgnoreOn(ctx, tx, table, "id", columns, rows)
}

// insertIgnoreOn is insertIgnore on a table whose column still (one of
// its columns) MySQL assigns to itself where a row is left alone.
func (s *Store) insertIgnoreOn(ctx context.Context, tx *ent.Client, table, still string, columns []string, rows [][]any) (int, error) {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	row := "(" + placeholders(len(columns)) + ")"
	args := make([]any, 0, len(rows)*len(columns))
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
		args = append(args, r...)
	}
	if s.isSQLite() {
		b.WriteString(" ON CONFLICT DO NOTHING")
	} else {
		// Affected rows count 1 per inserted row and 0 per row left as it was.
		b.WriteString(" ON DUPLICATE KEY UPDATE " + still + " = " + still)
	}
	res, err := tx.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return 0, storeErr(err, "")
	}
	n, err := res.RowsAffected()
	return int(n), storeErr(err, "")
}

// ensureChats makes sure every chat the message events name has a row and
// its id is cached, inserting the rows that are missing (a message event
// applied before its chat's creation) and counting them.
func (s *Store) ensureChats(ctx context.Context, tx *ent.Client, created []domain.MessageCreated, edited []domain.MessageEdited, deleted []domain.MessageDeleted) error {
	firstSeen := map[domain.ChatKey]time.Time{}
	note := func(k domain.ChatKey, at time.Time) {
		if t, ok := firstSeen[k]; !ok || at.Before(t) {
			firstSeen[k] = at
		}
	}
	for _, e := range created {
		note(domain.ChatKey{Token: e.Token, Number: e.Chat}, e.CreatedAt)
	}
	for _, e := range edited {
		note(domain.ChatKey{Token: e.Token, Number: e.Chat}, e.EditedAt)
	}
	for _, e := range deleted {
		note(domain.ChatKey{Token: e.Token, Number: e.Chat}, e.DeletedAt)
	}
	for key, at := range firstSeen {
		if _, ok := s.chatIDs.Load(key); ok {
			continue
		}
		_, err := s.chatID(ctx, tx, key)
		if err == nil {
			continue
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return eventErr(err)
		}
		appID, err := s.appID(ctx, tx, key.Token)
		if err != nil {
			return eventErr(err)
		}
		// The application's row first, as the counter update would: a lock
		// taken in the same order by every batch cannot deadlock.
		if _, err := s.lockRows(ctx, tx, "applications", []int{appID}); err != nil {
			return err
		}
		n, err := s.insertIgnore(ctx, tx, "chats", []string{"application_id", "number", "created_at", "updated_at"}, [][]any{{appID, key.Number, at, at}})
		if err != nil {
			return err
		}
		if n == 1 {
			if err := s.addCounts(ctx, tx, chatsCount, map[int]int64{appID: 1}); err != nil {
				return err
			}
		}
		if _, err := s.chatID(ctx, tx, key); err != nil {
			return eventErr(err)
		}
	}
	return nil
}

// checkMessageEpochs refuses message events numbered in an older epoch of
// their chat's sequences above the fence (see checkEpochs).
func (s *Store) checkMessageEpochs(ctx context.Context, tx *ent.Client, created []domain.MessageCreated, edited []domain.MessageEdited, deleted []domain.MessageDeleted) error {
	claims := make([]numbered, 0, len(created)+len(edited)+len(deleted))
	add := func(e domain.Event, token domain.Token, chat, number, epoch int64) error {
		id, err := s.chatID(ctx, tx, domain.ChatKey{Token: token, Number: chat})
		if err != nil {
			return eventErr(err)
		}
		claims = append(claims, numbered{parent: id, number: number, epoch: epoch, event: e})
		return nil
	}
	for _, e := range created {
		if err := add(e, e.Token, e.Chat, e.Number, e.Epoch); err != nil {
			return err
		}
	}
	for _, e := range edited {
		if err := add(e, e.Token, e.Chat, e.Number, e.Epoch); err != nil {
			return err
		}
	}
	for _, e := range deleted {
		if err := add(e, e.Token, e.Chat, e.Number, e.Epoch); err != nil {
			return err
		}
	}
	return s.checkEpochs(ctx, tx, "chats", scopeChat, claims)
}

// insertMessages inserts the messages' rows in one statement. A message
// already there is a redelivery, or a row its edit created first (created_at
// is then corrected to the creation's); any other row under the number is
// another message: an alarm, never a silent drop.
func (s *Store) insertMessages(ctx context.Context, tx *ent.Client, events []domain.MessageCreated, recount *domain.Touched) (err error) {
	if len(events) == 0 {
		return nil
	}
	chatIDs := make([]int, len(events))
	rows := make([][]any, len(events))
	for i, e := range events {
		chatID, err := s.chatID(ctx, tx, domain.ChatKey{Token: e.Token, Number: e.Chat})
		if err != nil {
			return eventErr(err)
		}
		chatIDs[i] = chatID
		rows[i] = []any{chatID, e.Number, e.Body, e.Author, domain.TypeOf(e.Type), e.Attributes, e.ReplyTo, 0, e.CreatedAt, e.CreatedAt}
	}
	inserted, err := s.insertIgnore(ctx, tx, "messages", []string{"chat_id", "number", "body", "author", "kind", "attributes", "reply_to", "version", "created_at", "updated_at"}, rows)
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			err = s.recountReplies(ctx, tx, chatIDs, events)
		}
	}()
	if inserted == len(events) {
		add := map[int]int64{}
		for _, id := range chatIDs {
			add[id]++
		}
		return s.addCounts(ctx, tx, messagesCount, add)
	}
	// Some rows were there already (rare: redeliveries): look at each.
	for i, e := range events {
		recount.Add(e)
		var at time.Time
		var body string
		var version int64
		if err := scanRow(ctx, tx, []any{&at, &body, &version}, "SELECT created_at, body, version FROM messages WHERE chat_id = ? AND number = ?", chatIDs[i], e.Number); err != nil {
			return storeErr(err, "")
		}
		stored, want := at.UTC().Truncate(time.Microsecond), e.CreatedAt.UTC().Truncate(time.Microsecond)
		switch {
		case stored.Before(want), version == 0 && (stored.After(want) || body != e.Body):
			return conflict(e, "the store holds another message under this number")
		case stored.After(want), version > 0: // created by its edit, which overtook it (and may not have known the author, type or attributes)
			// The edit's attributes, when it gave any, are newer than the
			// creation's (an edit that cleared them cannot be told from one
			// that gave none here: the creation's come back, a rare race).
			if _, err := tx.ExecContext(ctx, "UPDATE messages SET created_at = ?, author = ?, kind = ?, reply_to = ?, attributes = CASE WHEN attributes = '' THEN ? ELSE attributes END WHERE chat_id = ? AND number = ?",
				e.CreatedAt, e.Author, domain.TypeOf(e.Type), e.ReplyTo, e.Attributes, chatIDs[i], e.Number); err != nil {
				return storeErr(err, "")
			}
		}
	}
	return nil
}

// applyEdit replaces the body if the stored version is older; if the message
// row is not there yet (the edit overtook the creation), the edit inserts it,
// and the creation, when it comes, finds the row and leaves it alone.
func (s *Store) applyEdit(ctx context.Context, tx *ent.Client, e domain.MessageEdited) error {
	chatID, err := s.chatID(ctx, tx, domain.ChatKey{Token: e.Token, Number: e.Chat})
	if err != nil {
		return eventErr(err)
	}
	update := func() (int, error) {
		up := tx.Message.Update().
			Where(message.ChatID(chatID), message.Number(e.Number), message.VersionLT(e.Version), message.Deleted(false)).
			SetBody(e.Body).SetVersion(e.Version).SetUpdatedAt(e.EditedAt)
		if e.NewAttributes {
			up.SetAttributes(e.Attributes)
		}
		n, err := up.Save(ctx)
		return n, storeErr(err, "")
	}
	n, err := update()
	if err != nil || n > 0 {
		return err
	}
	exists, err := tx.Message.Query().Where(message.ChatID(chatID), message.Number(e.Number)).Exist(ctx)
	if err != nil || exists {
		return storeErr(err, "") // present with a version at least as new: nothing to do
	}
	err = tx.Message.Create().SetChatID(chatID).SetNumber(e.Number).SetBody(e.Body).SetAuthor(e.Author).SetKind(domain.TypeOf(e.Type)).SetAttributes(e.Attributes).SetReplyTo(e.ReplyTo).SetVersion(e.Version).
		SetCreatedAt(e.EditedAt).SetUpdatedAt(e.EditedAt).
		OnConflict(entsql.ConflictColumns(message.FieldChatID, message.FieldNumber)).DoNothing().Exec(ctx)
	if err := ignoreNoRows(err); err != nil {
		return err
	}
	_, err = update() // a concurrent insert won the race: make sure the newer body wins
	return err
}

// applyDelete turns the message into a tombstone: the body is gone, the
// number stays taken, and no edit (older or newer) brings it back. A live
// message deleted leaves its chat's counter; a delete that overtook the
// creation leaves a tombstone the creation then finds.
func (s *Store) applyDelete(ctx context.Context, tx *ent.Client, e domain.MessageDeleted) error {
	chatID, err := s.chatID(ctx, tx, domain.ChatKey{Token: e.Token, Number: e.Chat})
	if err != nil {
		return eventErr(err)
	}
	res, err := tx.ExecContext(ctx, "UPDATE messages SET deleted = ?, body = '', attributes = '', version = ?, updated_at = ? WHERE chat_id = ? AND number = ? AND deleted = ?",
		true, e.Version, e.DeletedAt, chatID, e.Number, false)
	if err != nil {
		return storeErr(err, "")
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if err := s.addCounts(ctx, tx, messagesCount, map[int]int64{chatID: -1}); err != nil {
			return err
		}
		return s.recountRepliesOf(ctx, tx, chatID, e.Number)
	}
	_, err = s.insertIgnore(ctx, tx, "messages", []string{"chat_id", "number", "body", "version", "deleted", "created_at", "updated_at"},
		[][]any{{chatID, e.Number, "", e.Version, true, e.DeletedAt, e.DeletedAt}})
	return err
}

// ignoreNoRows: ent reports a bulk insert-or-ignore that inserted nothing as
// sql.ErrNoRows on some dialects; that is success here.
func ignoreNoRows(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return storeErr(err, "")
}
