package entstore

import (
	"context"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
)

// A parent's reply_count is recounted, not added to, in the transaction
// that writes its replies: a redelivered creation, a creation its edit
// overtook, a deletion, all leave it exact. A chat's events are applied by
// one worker at a time (they share a partition), so nothing races it.

type parentKey struct {
	chat   int
	number int64
}

// recountReplies recounts the replies of every parent the creations answer.
func (s *Store) recountReplies(ctx context.Context, tx *ent.Client, chatIDs []int, events []domain.MessageCreated) error {
	seen := map[parentKey]bool{}
	for i, e := range events {
		k := parentKey{chatIDs[i], e.ReplyTo}
		if e.ReplyTo == 0 || seen[k] {
			continue
		}
		seen[k] = true
		if err := s.recountParent(ctx, tx, k); err != nil {
			return err
		}
	}
	return nil
}

// recountRepliesOf recounts the replies of the parent of the message, if it
// answers one (it was just deleted).
func (s *Store) recountRepliesOf(ctx context.Context, tx *ent.Client, chatID int, number int64) error {
	var parent int64
	if err := scanRow(ctx, tx, []any{&parent}, "SELECT reply_to FROM messages WHERE chat_id = ? AND number = ?", chatID, number); err != nil {
		return storeErr(err, "")
	}
	if parent == 0 {
		return nil
	}
	return s.recountParent(ctx, tx, parentKey{chatID, parent})
}

func (s *Store) recountParent(ctx context.Context, tx *ent.Client, k parentKey) error {
	var n int64
	if err := scanRow(ctx, tx, []any{&n}, "SELECT COUNT(*) FROM messages WHERE chat_id = ? AND reply_to = ? AND deleted = ?", k.chat, k.number, false); err != nil {
		return storeErr(err, "")
	}
	_, err := tx.ExecContext(ctx, "UPDATE messages SET reply_count = ? WHERE chat_id = ? AND number = ?", n, k.chat, k.number)
	return storeErr(err, "")
}
