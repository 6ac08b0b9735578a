package redis

import (
	"context"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
)

// MemberCache is ports.MemberCache in Redis, read with client-side caching
// as ApplicationAccess is: a user's request reads the chat's visibility
// and the user's role from the api's memory, and Redis drops them from
// every api instance's memory when they change. A user's absence is kept
// too ("-"), so a non-member's requests do not reach the store either.
type MemberCache struct {
	client rueidis.Client
}

// NewMemberCache reads through client, which must have client-side caching
// on for lookups to be local.
func NewMemberCache(client rueidis.Client) *MemberCache { return &MemberCache{client: client} }

// noRole is what is kept for a user who is not a member.
const noRole = "-"

func chatKey(token domain.Token, chat int64) string {
	return "chat:{" + string(token) + "}:chat:" + strconv.FormatInt(chat, 10)
}
func visibilityKey(token domain.Token, chat int64) string {
	return chatKey(token, chat) + ":visibility"
}
func roleKey(token domain.Token, chat int64, user domain.UserID) string {
	return chatKey(token, chat) + ":role:" + string(user)
}

func (m *MemberCache) ChatRights(ctx context.Context, token domain.Token, chat int64, user domain.UserID) (domain.ChatRights, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, accessLookupTimeout)
	defer cancel()
	res := m.client.DoMultiCache(ctx,
		rueidis.CT(m.client.B().Get().Key(visibilityKey(token, chat)).Cache(), accessCacheTTL),
		rueidis.CT(m.client.B().Get().Key(roleKey(token, chat, user)).Cache(), accessCacheTTL))
	var vals [2]string
	for i, r := range res {
		v, err := r.ToString()
		if rueidis.IsRedisNil(err) {
			return domain.ChatRights{}, false, nil
		}
		if err != nil {
			return domain.ChatRights{}, false, unavailable(err)
		}
		vals[i] = v
	}
	vis, err := domain.ParseVisibility(vals[0])
	if err != nil {
		return domain.ChatRights{}, false, nil // unreadable: load it from the store again
	}
	out := domain.ChatRights{Number: chat, Visibility: vis}
	if vals[1] != noRole {
		if out.Role, err = domain.ParseRole(vals[1]); err != nil {
			return domain.ChatRights{}, false, nil
		}
	}
	return out, true, nil
}

func (m *MemberCache) Forget(ctx context.Context, token domain.Token, chat int64, user domain.UserID) error {
	key := roleKey(token, chat, user)
	return keep(ctx, m.client, m.client.B().Del().Key(key).Build(), key)
}

// StoreRole keeps a role, and a removal's absence for filledTTL: a load
// that raced the removal cannot Fill the old role meanwhile, and after it
// the store answers.
func (m *MemberCache) StoreRole(ctx context.Context, token domain.Token, chat int64, user domain.UserID, role domain.Role) error {
	key := roleKey(token, chat, user)
	if role == "" {
		return keep(ctx, m.client, m.client.B().Set().Key(key).Value(noRole).Ex(filledTTL).Build(), key)
	}
	return keep(ctx, m.client, m.client.B().Set().Key(key).Value(string(role)).Build(), key)
}

func (m *MemberCache) StoreVisibility(ctx context.Context, token domain.Token, chat int64, v domain.Visibility) error {
	key := visibilityKey(token, chat)
	return keep(ctx, m.client, m.client.B().Set().Key(key).Value(string(v)).Build(), key)
}

func (m *MemberCache) Fill(ctx context.Context, token domain.Token, chat int64, user domain.UserID, rights domain.ChatRights) error {
	role := string(rights.Role)
	if role == "" {
		role = noRole
	}
	vkey, rkey := visibilityKey(token, chat), roleKey(token, chat, user)
	if err := keep(ctx, m.client, m.client.B().Set().Key(vkey).Value(string(rights.Visibility)).Nx().Ex(filledTTL).Build(), vkey); err != nil {
		return err
	}
	return keep(ctx, m.client, m.client.B().Set().Key(rkey).Value(role).Nx().Ex(filledTTL).Build(), rkey)
}
