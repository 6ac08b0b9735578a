package ports

import (
	"context"

	"github.com/chatsvc/chat/domain"
)

// MemberStore keeps the members of chats and their visibility in the system
// of record (protected applications, API.md "Members"). Written
// synchronously, like applications: a change holds from its answer on.
// Reads are the primary's, never a replica's that may lag a change.
type MemberStore interface {
	// ChatRights is a chat's visibility (private when never set) and the
	// user's role in it (zero when not a member).
	ChatRights(ctx context.Context, token domain.Token, chat int64, user domain.UserID) (domain.ChatRights, error)
	// SetUpChat records a new chat's visibility and first members, all or
	// nothing; a member already there keeps joined_at. (The chat's creation
	// event, domain.ChatCreated, carries its creator and visibility too.)
	SetUpChat(ctx context.Context, token domain.Token, chat int64, v domain.Visibility, members []domain.Member) error
	// PutMember adds a member or changes their role; a member already there
	// keeps their joined_at. It returns the member as kept.
	PutMember(ctx context.Context, token domain.Token, chat int64, m domain.Member) (domain.Member, error)
	// JoinMember adds a member unless the user is one already (whose role
	// stays); it returns the member as kept.
	JoinMember(ctx context.Context, token domain.Token, chat int64, m domain.Member) (domain.Member, error)
	// RemoveMember removes a member; removed is false when the user was none.
	RemoveMember(ctx context.Context, token domain.Token, chat int64, user domain.UserID) (removed bool, err error)
	// Members pages a chat's members by user id.
	Members(ctx context.Context, token domain.Token, chat int64, page domain.PageRequest[domain.UserID]) (domain.Page[domain.Member], error)
	// MemberChats pages the numbers of the chats the user is a member of,
	// within only when it is not nil.
	MemberChats(ctx context.Context, token domain.Token, user domain.UserID, within []int64, page domain.PageRequest[int64]) (domain.Page[int64], error)
}

// MemberCache keeps chats' visibility and users' roles where each api
// instance reads them on every request of a user without the system of
// record, as ApplicationAccess keeps access: the store stays the truth, a
// change is forgotten before the store commits it and stored after, and a
// change holds on every api instance from the moment Store returns.
type MemberCache interface {
	// ChatRights is what is kept for the chat and the user; found is false
	// unless both the visibility and the role (or its absence) are.
	ChatRights(ctx context.Context, token domain.Token, chat int64, user domain.UserID) (rights domain.ChatRights, found bool, err error)
	// Forget drops the user's role in the chat.
	Forget(ctx context.Context, token domain.Token, chat int64, user domain.UserID) error
	// StoreRole keeps a role the store committed (zero: none), replacing
	// what was kept.
	StoreRole(ctx context.Context, token domain.Token, chat int64, user domain.UserID, role domain.Role) error
	// StoreVisibility keeps a chat's visibility, replacing what was kept.
	StoreVisibility(ctx context.Context, token domain.Token, chat int64, v domain.Visibility) error
	// Fill keeps what a read loaded from the store, each part only where
	// nothing is kept already (a change stored meanwhile wins).
	Fill(ctx context.Context, token domain.Token, chat int64, user domain.UserID, rights domain.ChatRights) error
}

// UserTokens verifies the user tokens an application's server mints with
// its secret (API.md, "Access"): a token signed with the current secret, or
// (kid "previous") with the previous one within its grace period. Any
// failure wraps domain.ErrUnauthorized.
type UserTokens interface {
	VerifyUser(raw string, app domain.Token, access domain.AppAccess) (domain.Caller, error)
}
