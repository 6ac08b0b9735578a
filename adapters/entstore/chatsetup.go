package entstore

import (
	"context"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
)

// A protected chat's setup (its visibility and first members) is recorded
// twice: by the api at once, after the number is taken (SetUpChat), and by
// the chat's own creation event, in the transaction of its row
// (setUpChats). The chat_visibility row marks a chat set up: the api's
// record writes it with the members in one transaction, and the event's
// writes nothing where it is, so a late or redelivered event never brings
// back a member removed since, while a chat whose api record failed is set
// up by its event.

// SetUpChat records a new chat's visibility and first members in one
// transaction (a member already there keeps joined_at).
func (s *Store) SetUpChat(ctx context.Context, token domain.Token, chat int64, v domain.Visibility, members []domain.Member) error {
	return s.inTx(ctx, func(tx *ent.Client) error {
		q := "INSERT INTO chat_visibility (token, chat, visibility) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE visibility = VALUES(visibility)"
		if s.isSQLite() {
			q = "INSERT INTO chat_visibility (token, chat, visibility) VALUES (?, ?, ?) ON CONFLICT (token, chat) DO UPDATE SET visibility = excluded.visibility"
		}
		if _, err := tx.ExecContext(ctx, q, string(token), chat, string(v)); err != nil {
			return storeErr(err, "")
		}
		upsert := s.memberUpsert("role = VALUES(role)", "role = excluded.role")
		for _, m := range members {
			if _, err := tx.ExecContext(ctx, upsert, string(token), chat, string(m.User), string(m.Role), m.JoinedAt.UnixMicro()); err != nil {
				return storeErr(err, "")
			}
		}
		return nil
	})
}

// setUpChats sets up the chats whose creation events say how, unless they
// are set up already.
func (s *Store) setUpChats(ctx context.Context, tx *ent.Client, chats []domain.ChatCreated) error {
	for _, e := range chats {
		if e.Creator == "" && e.Visibility == "" {
			continue
		}
		v := e.Visibility
		if v == "" {
			v = domain.VisibilityPrivate
		}
		n, err := s.insertIgnoreOn(ctx, tx, "chat_visibility", "chat", []string{"token", "chat", "visibility"},
			[][]any{{string(e.Token), e.Number, string(v)}})
		if err != nil {
			return err
		}
		if n == 0 || e.Creator == "" {
			continue // set up already (by the api, or this event before), or no one to add
		}
		if _, err := s.insertIgnoreOn(ctx, tx, "chat_members", "chat", []string{"token", "chat", "user_id", "role", "joined_micros"},
			[][]any{{string(e.Token), e.Number, string(e.Creator), string(domain.RoleModerator), e.CreatedAt.UnixMicro()}}); err != nil {
			return err
		}
	}
	return nil
}
