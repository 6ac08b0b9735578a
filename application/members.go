package application

import (
	"context"
	"errors"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Members decides what a user of a protected application may do in a chat
// (domain.Caller's rules, with the user's role and the chat's visibility),
// and keeps the chats' members. The application itself (its secret, or an
// open application's token) is never looked up: its requests cost nothing
// more than before.
type Members struct {
	store ports.MemberStore
	cache ports.MemberCache
	chats ports.ChatReader
	clock ports.Clock
	// A membership change is announced to the users' live streams, with
	// where the log stood once it was committed (see Live.FollowUser).
	notices ports.Notices
	log     ports.LiveLog
}

func NewMembers(store ports.MemberStore, cache ports.MemberCache, chats ports.ChatReader, clock ports.Clock, notices ports.Notices, log ports.LiveLog) *Members {
	return &Members{store: store, cache: cache, chats: chats, clock: clock, notices: notices, log: log}
}

// Authorize decides action a of caller in the chat named by rawChat: nil,
// domain.ErrForbidden, or a not-found error for a chat the caller may not
// see. A user who posts in a public chat becomes its member.
func (u *Members) Authorize(ctx context.Context, caller domain.Caller, rawChat string, a domain.Action) error {
	if caller.IsApp() {
		return nil
	}
	rights, err := u.rightsIn(ctx, caller, rawChat)
	if err != nil {
		return err
	}
	if err := caller.MayChat(a, rights); err != nil {
		return err
	}
	if a == domain.ActPost && rights.Role == "" {
		_, err = u.put(ctx, caller.App, rights.Number, domain.Member{User: caller.User, Role: domain.RoleMember}, u.store.JoinMember)
	}
	return err
}

// MayChangeMessage decides an edit or a delete of a message, whose author
// is asked for only when it decides: a user who moderates the chat, or who
// may not change even their own messages there, is answered without it.
func (u *Members) MayChangeMessage(ctx context.Context, caller domain.Caller, rawChat string, author func() (string, error)) error {
	if caller.IsApp() {
		return nil
	}
	rights, err := u.rightsIn(ctx, caller, rawChat)
	if err != nil {
		return err
	}
	if caller.MayChat(domain.ActModerate, rights) == nil {
		return nil
	}
	if err := caller.MayChat(domain.ActChangeOwn, rights); err != nil {
		return err
	}
	a, err := author()
	if err != nil {
		return err
	}
	return caller.MayChangeMessage(rights, domain.UserID(a))
}

func (u *Members) rightsIn(ctx context.Context, caller domain.Caller, rawChat string) (domain.ChatRights, error) {
	chat, err := domain.ParseNumber("chat number", rawChat)
	if err != nil {
		return domain.ChatRights{}, err
	}
	return u.rights(ctx, caller, chat)
}

// rights reads the caller's rights in chat from the cache, or on a miss
// (never kept, lost, or the cache down) from the store, keeping what it read.
func (u *Members) rights(ctx context.Context, caller domain.Caller, chat int64) (domain.ChatRights, error) {
	rights, found, err := u.cache.ChatRights(ctx, caller.App, chat, caller.User)
	if err != nil || !found {
		var serr error
		if rights, serr = u.store.ChatRights(ctx, caller.App, chat, caller.User); serr != nil {
			return domain.ChatRights{}, serr
		}
		if err == nil {
			_ = u.cache.Fill(ctx, caller.App, chat, caller.User, rights) // best effort: the next request loads it again
		}
	}
	rights.Number = chat
	return rights, nil
}

// Created records who a new chat's members are and its visibility, all
// in one write: a user's chat has its creator as moderator; the
// application may name members. A private chat the application made alone
// writes nothing. (The chat's creation event carries its creator and
// visibility as well: should this fail, the store records them from there.)
func (u *Members) Created(ctx context.Context, caller domain.Caller, chat int64, members []domain.Member, v domain.Visibility) error {
	if !caller.IsApp() {
		members = []domain.Member{{User: caller.User, Role: domain.RoleModerator}}
	}
	if v != domain.VisibilityPublic && len(members) == 0 {
		return nil
	}
	// As put does: the cache forgets what changes, the store commits, the
	// cache keeps the result.
	for i := range members {
		if err := u.cache.Forget(ctx, caller.App, chat, members[i].User); err != nil {
			return err
		}
		members[i].JoinedAt = u.clock.Now()
	}
	if err := u.store.SetUpChat(ctx, caller.App, chat, v, members); err != nil {
		return err
	}
	if err := u.cache.StoreVisibility(ctx, caller.App, chat, v); err != nil {
		return err
	}
	for _, m := range members {
		if err := u.cache.StoreRole(ctx, caller.App, chat, m.User, m.Role); err != nil {
			return err
		}
	}
	return nil
}

// Setup is what a new chat's creation event carries of its setup
// (domain.ChatCreated): its creator, when a user, and its visibility when
// there is anything to set up (the members the application names are
// recorded by Created alone: the application, holding its secret, can
// name them again).
func Setup(caller domain.Caller, v domain.Visibility) (domain.UserID, domain.Visibility) {
	if caller.IsApp() && v != domain.VisibilityPublic {
		return "", ""
	}
	return caller.User, v
}

// MayCreateChat refuses a chat the caller may not create, or members a
// user may not name, before a number is taken.
func (u *Members) MayCreateChat(caller domain.Caller, members []domain.Member) error {
	if err := caller.MayApp(domain.ActCreateChat); err != nil {
		return err
	}
	if !caller.IsApp() && len(members) > 0 {
		return domain.ErrForbidden
	}
	return nil
}

// Put adds a member to the chat or changes their role (the application, or
// a moderator of the chat).
func (u *Members) Put(ctx context.Context, caller domain.Caller, path ChatPath, rawUser, rawRole string) (domain.Member, error) {
	m, err := domain.NewMember(rawUser, rawRole)
	if err != nil {
		return domain.Member{}, err
	}
	chat, err := u.existing(ctx, caller, path, domain.ActModerate)
	if err != nil {
		return domain.Member{}, err
	}
	return u.put(ctx, caller.App, chat, m, u.store.PutMember)
}

// Remove removes a member (the application, a moderator, or the member
// themselves). From its answer on, the user's next request is refused.
func (u *Members) Remove(ctx context.Context, caller domain.Caller, path ChatPath, rawUser string) error {
	user, err := domain.ParseUserID("user_id", rawUser)
	if err != nil {
		return err
	}
	action := domain.ActModerate
	if user == caller.User {
		action = domain.ActLeave
	}
	chat, err := u.existing(ctx, caller, path, action)
	if err != nil {
		return err
	}
	if err := u.cache.Forget(ctx, caller.App, chat, user); err != nil {
		return err
	}
	removed, err := u.store.RemoveMember(ctx, caller.App, chat, user)
	if err != nil {
		return err
	}
	if err := u.cache.StoreRole(ctx, caller.App, chat, user, ""); err != nil {
		return err
	}
	if !removed {
		return domain.NotFoundf("user %s is not a member of chat %d", user, chat)
	}
	u.announce(ctx, domain.Notice{Kind: domain.NoticeMemberRemoved, App: caller.App, Chat: chat, User: user})
	return nil
}

// List pages a chat's members by user id.
func (u *Members) List(ctx context.Context, caller domain.Caller, path ChatPath, page domain.PageRequest[domain.UserID]) (domain.Page[domain.Member], error) {
	chat, err := u.existing(ctx, caller, path, domain.ActRead)
	if err != nil {
		return domain.Page[domain.Member]{}, err
	}
	return u.store.Members(ctx, caller.App, chat, page)
}

// Chats pages the chats a user is a member of (within the token's chats),
// by number. A chat whose creation is not persisted yet is left out.
func (u *Members) Chats(ctx context.Context, caller domain.Caller, page domain.PageRequest[int64]) (domain.Page[domain.Chat], error) {
	return pageByNumber(ctx, page, func(c domain.Chat) int64 { return c.Number },
		func(ctx context.Context, p domain.PageRequest[int64]) (domain.Page[domain.Chat], error) {
			numbers, err := u.store.MemberChats(ctx, caller.App, caller.User, caller.Chats, p)
			if err != nil {
				return domain.Page[domain.Chat]{}, err
			}
			out := domain.Page[domain.Chat]{HasMore: numbers.HasMore, Items: make([]domain.Chat, 0, len(numbers.Items))}
			for _, n := range numbers.Items {
				c, err := u.chats.Chat(ctx, caller.App, n)
				switch {
				case err == nil:
					out.Items = append(out.Items, c)
				case !errors.Is(err, domain.ErrNotFound):
					return domain.Page[domain.Chat]{}, err
				}
			}
			return out, nil
		})
}

// existing is the number of a persisted chat the caller may act on.
func (u *Members) existing(ctx context.Context, caller domain.Caller, path ChatPath, a domain.Action) (int64, error) {
	token, chat, err := path.parse()
	if err != nil {
		return 0, err
	}
	if token != caller.App {
		return 0, domain.NotFoundf("chat %d not found in this application", chat)
	}
	if err := u.Authorize(ctx, caller, path.Chat, a); err != nil {
		return 0, err
	}
	if err := u.chats.ChatExists(ctx, token, chat); err != nil {
		return 0, err
	}
	return chat, nil
}

// put writes a membership as ApplicationAccess changes are written: the
// cache forgets the role, the store commits, the cache keeps the result.
func (u *Members) put(ctx context.Context, token domain.Token, chat int64, m domain.Member,
	write func(context.Context, domain.Token, int64, domain.Member) (domain.Member, error)) (domain.Member, error) {
	if err := u.cache.Forget(ctx, token, chat, m.User); err != nil {
		return domain.Member{}, err
	}
	m.JoinedAt = u.clock.Now()
	kept, err := write(ctx, token, chat, m)
	if err != nil {
		return domain.Member{}, err
	}
	if err := u.cache.StoreRole(ctx, token, chat, m.User, kept.Role); err != nil {
		return domain.Member{}, err
	}
	u.announce(ctx, domain.Notice{Kind: domain.NoticeMemberAdded, App: token, Chat: chat, User: m.User, Role: kept.Role})
	return kept, nil
}

// announce publishes a committed membership change, best effort: the
// change holds without it (every request checks the member cache), and a
// stream that missed it follows the change once its client reconnects.
func (u *Members) announce(ctx context.Context, n domain.Notice) {
	if u.notices == nil {
		return
	}
	n.At = u.clock.Now()
	if u.log != nil {
		n.Position, _ = u.log.Head(ctx, n.App)
	}
	_ = u.notices.Publish(ctx, n)
}

// MayType decides whether the caller may say they are typing in the chat:
// a user (the application types nothing) who is a member, with write access.
func (u *Members) MayType(ctx context.Context, caller domain.Caller, rawChat string) (int64, error) {
	if caller.IsApp() {
		return 0, domain.ErrForbidden
	}
	rights, err := u.rightsIn(ctx, caller, rawChat)
	if err != nil {
		return 0, err
	}
	return rights.Number, caller.MayChat(domain.ActType, rights)
}

// IsMember tells whether the user is (still) a member of the chat, within
// their token's chats, as a user's live stream checks before each event it
// writes; a dependency down is no answer, and keeps the stream.
func (u *Members) IsMember(ctx context.Context, caller domain.Caller, chat int64) bool {
	rights, err := u.rights(ctx, caller, chat)
	if err != nil {
		return true
	}
	return rights.Role != "" && caller.Sees(rights)
}
