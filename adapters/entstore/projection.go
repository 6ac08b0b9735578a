package entstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
	"github.com/chatsvc/chat/ent/chat"
	"github.com/chatsvc/chat/ent/message"
)

// ApplyEvents writes a batch of events in one transaction. Every statement is
// idempotent: creations insert-or-ignore on the unique number keys, and an
// edit only replaces a body whose version is older. A message event whose
// chat row is not there yet creates the chat row too, so that the order in
// which workers happen to apply events does not matter.
func (s *Store) ApplyEvents(ctx context.Context, events []domain.Event) (domain.Touched, error) {
	var touched domain.Touched
	if len(events) == 0 {
		return touched, nil
	}
	var chats []domain.ChatCreated
	var created []domain.MessageCreated
	var edited []domain.MessageEdited
	for _, e := range events {
		switch e := e.(type) {
		case domain.ChatCreated:
			chats = append(chats, e)
		case domain.MessageCreated:
			created = append(created, e)
		case domain.MessageEdited:
			edited = append(edited, e)
		default:
			return touched, fmt.Errorf("%w: unknown event %T", domain.ErrInvalidEvent, e)
		}
		touched.Add(e)
	}
	// Older edits first, so that within a batch each later edit supersedes.
	sort.Slice(edited, func(i, j int) bool { return edited[i].Version < edited[j].Version })

	err := s.inTx(ctx, func(tx *ent.Client) error {
		if err := s.insertChats(ctx, tx, chats); err != nil {
			return err
		}
		ensured, err := s.ensureChats(ctx, tx, created, edited)
		if err != nil {
			return err
		}
		for _, t := range ensured {
			touched.Add(domain.ChatCreated{Token: t})
		}
		if err := s.insertMessages(ctx, tx, created); err != nil {
			return err
		}
		for _, e := range edited {
			if err := s.applyEdit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// A failed transaction may have cached ids of rows it rolled back.
		s.forgetChats(created, edited)
	}
	return touched, err
}

func (s *Store) inTx(ctx context.Context, fn func(tx *ent.Client) error) error {
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return storeErr(err, "")
	}
	if err := fn(tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return storeErr(tx.Commit(), "")
}

func (s *Store) insertChats(ctx context.Context, tx *ent.Client, events []domain.ChatCreated) error {
	if len(events) == 0 {
		return nil
	}
	builders := make([]*ent.ChatCreate, 0, len(events))
	for _, e := range events {
		appID, err := s.appID(ctx, tx, e.Token)
		if err != nil {
			return eventErr(err)
		}
		builders = append(builders, tx.Chat.Create().SetApplicationID(appID).SetNumber(e.Number).
			SetCreatedAt(e.CreatedAt).SetUpdatedAt(e.CreatedAt))
	}
	err := tx.Chat.CreateBulk(builders...).
		OnConflict(entsql.ConflictColumns(chat.FieldApplicationID, chat.FieldNumber), s.keepEarliest()).
		Exec(ctx)
	return ignoreNoRows(err)
}

// ensureChats makes sure every chat the message events name has a row and its
// id is cached. It returns the applications whose chats it had to insert.
func (s *Store) ensureChats(ctx context.Context, tx *ent.Client, created []domain.MessageCreated, edited []domain.MessageEdited) ([]domain.Token, error) {
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
	var inserted []domain.Token
	for key, at := range firstSeen {
		if _, ok := s.chatIDs.Load(key); ok {
			continue
		}
		_, err := s.chatID(ctx, tx, key)
		if err == nil {
			continue
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return nil, eventErr(err)
		}
		appID, err := s.appID(ctx, tx, key.Token)
		if err != nil {
			return nil, eventErr(err)
		}
		err = tx.Chat.Create().SetApplicationID(appID).SetNumber(key.Number).SetCreatedAt(at).SetUpdatedAt(at).
			OnConflict(entsql.ConflictColumns(chat.FieldApplicationID, chat.FieldNumber)).DoNothing().Exec(ctx)
		if err := ignoreNoRows(err); err != nil {
			return nil, err
		}
		if _, err := s.chatID(ctx, tx, key); err != nil {
			return nil, eventErr(err)
		}
		inserted = append(inserted, key.Token)
	}
	return inserted, nil
}

func (s *Store) insertMessages(ctx context.Context, tx *ent.Client, events []domain.MessageCreated) error {
	if len(events) == 0 {
		return nil
	}
	builders := make([]*ent.MessageCreate, 0, len(events))
	for _, e := range events {
		chatID, err := s.chatID(ctx, tx, domain.ChatKey{Token: e.Token, Number: e.Chat})
		if err != nil {
			return eventErr(err)
		}
		builders = append(builders, tx.Message.Create().SetChatID(chatID).SetNumber(e.Number).SetBody(e.Body).
			SetVersion(0).SetCreatedAt(e.CreatedAt).SetUpdatedAt(e.CreatedAt))
	}
	err := tx.Message.CreateBulk(builders...).
		OnConflict(entsql.ConflictColumns(message.FieldChatID, message.FieldNumber), s.keepEarliest()).
		Exec(ctx)
	return ignoreNoRows(err)
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
		n, err := tx.Message.Update().
			Where(message.ChatID(chatID), message.Number(e.Number), message.VersionLT(e.Version)).
			SetBody(e.Body).SetVersion(e.Version).SetUpdatedAt(e.EditedAt).Save(ctx)
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
	err = tx.Message.Create().SetChatID(chatID).SetNumber(e.Number).SetBody(e.Body).SetVersion(e.Version).
		SetCreatedAt(e.EditedAt).SetUpdatedAt(e.EditedAt).
		OnConflict(entsql.ConflictColumns(message.FieldChatID, message.FieldNumber)).DoNothing().Exec(ctx)
	if err := ignoreNoRows(err); err != nil {
		return err
	}
	_, err = update() // a concurrent insert won the race: make sure the newer body wins
	return err
}

// keepEarliest resolves a creation that finds its row already there (a
// redelivery, or a row a later event had to create first) by keeping
// everything but created_at, which takes the earlier of the two: the
// creation event carries the true one.
func (s *Store) keepEarliest() entsql.ConflictOption {
	return entsql.ResolveWith(func(u *entsql.UpdateSet) {
		if s.isSQLite() {
			u.Set("created_at", entsql.Expr("MIN(created_at, excluded.created_at)"))
			return
		}
		u.Set("created_at", entsql.Expr("LEAST(created_at, VALUES(created_at))"))
	})
}

func (s *Store) forgetChats(created []domain.MessageCreated, edited []domain.MessageEdited) {
	for _, e := range created {
		s.chatIDs.Delete(domain.ChatKey{Token: e.Token, Number: e.Chat})
	}
	for _, e := range edited {
		s.chatIDs.Delete(domain.ChatKey{Token: e.Token, Number: e.Chat})
	}
}

// eventErr marks an event naming an application that does not exist as one
// that can never be applied; other errors stay retryable.
func eventErr(err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: %v", domain.ErrInvalidEvent, err)
	}
	return err
}

// ignoreNoRows: ent reports a bulk insert-or-ignore that inserted nothing as
// sql.ErrNoRows on some dialects; that is success here.
func ignoreNoRows(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) || strings.Contains(err.Error(), "no rows in result set") {
		return nil
	}
	return storeErr(err, "")
}
