package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// MemberStoreContract runs the ports.MemberStore suite: members added,
// changed (keeping when they joined), removed and paged; visibility; a
// user's chats.
func MemberStoreContract(t *testing.T, newStore func(t *testing.T) ports.MemberStore) {
	ctx := context.Background()
	tok := domain.NewToken()
	rights := func(t *testing.T, s ports.MemberStore, chat int64, user domain.UserID) domain.ChatRights {
		t.Helper()
		r, err := s.ChatRights(ctx, tok, chat, user)
		must(t, err)
		return r
	}
	put := func(t *testing.T, s ports.MemberStore, write func(context.Context, domain.Token, int64, domain.Member) (domain.Member, error),
		chat int64, user domain.UserID, role domain.Role, at time.Time) domain.Member {
		t.Helper()
		m, err := write(ctx, tok, chat, domain.Member{User: user, Role: role, JoinedAt: at})
		must(t, err)
		return m
	}

	t.Run("members are added, changed, joined and removed; joined_at stays", func(t *testing.T) {
		s := newStore(t)
		if r := rights(t, s, 1, "ann"); r.Visibility != domain.VisibilityPrivate || r.Role != "" {
			t.Fatalf("before anything: %+v", r)
		}
		m := put(t, s, s.PutMember, 1, "ann", domain.RoleMember, t0)
		if m.Role != domain.RoleMember || !m.JoinedAt.Equal(t0) {
			t.Fatalf("added %+v", m)
		}
		if m = put(t, s, s.PutMember, 1, "ann", domain.RoleModerator, t0.Add(time.Hour)); m.Role != domain.RoleModerator || !m.JoinedAt.Equal(t0) {
			t.Fatalf("changed %+v", m)
		}
		if m = put(t, s, s.JoinMember, 1, "ann", domain.RoleMember, t0.Add(time.Hour)); m.Role != domain.RoleModerator {
			t.Fatalf("a join demoted a moderator: %+v", m)
		}
		if r := rights(t, s, 1, "ann"); r.Role != domain.RoleModerator {
			t.Fatalf("rights %+v", r)
		}
		if r := rights(t, s, 2, "ann"); r.Role != "" {
			t.Fatalf("another chat: %+v", r)
		}
		removed, err := s.RemoveMember(ctx, tok, 1, "ann")
		must(t, err)
		if !removed || rights(t, s, 1, "ann").Role != "" {
			t.Fatal("not removed")
		}
		removed, err = s.RemoveMember(ctx, tok, 1, "ann")
		must(t, err)
		if removed {
			t.Fatal("removed twice")
		}
	})

	t.Run("visibility and first members, set up together", func(t *testing.T) {
		s := newStore(t)
		must(t, s.SetUpChat(ctx, tok, 3, domain.VisibilityPublic, []domain.Member{{User: "ann", Role: domain.RoleModerator, JoinedAt: t0}}))
		if r := rights(t, s, 3, "bob"); r.Visibility != domain.VisibilityPublic || r.Role != "" {
			t.Fatalf("public chat: %+v", r)
		}
		if r := rights(t, s, 3, "ann"); r.Role != domain.RoleModerator {
			t.Fatalf("its first member: %+v", r)
		}
		if r := rights(t, s, 4, "bob"); r.Visibility != domain.VisibilityPrivate {
			t.Fatalf("another chat: %+v", r)
		}
	})

	t.Run("members page by user id, a user's chats by number", func(t *testing.T) {
		s := newStore(t)
		for _, u := range []domain.UserID{"b", "a", "é", "c"} {
			put(t, s, s.PutMember, 5, u, domain.RoleMember, t0)
		}
		p, err := s.Members(ctx, tok, 5, domain.PageRequest[domain.UserID]{Limit: 2})
		must(t, err)
		if len(p.Items) != 2 || p.Items[0].User != "a" || p.Items[1].User != "b" || !p.HasMore {
			t.Fatalf("first page %+v", p)
		}
		p, err = s.Members(ctx, tok, 5, domain.PageRequest[domain.UserID]{After: "b", Limit: 2})
		must(t, err)
		if len(p.Items) != 2 || p.Items[0].User != "c" || p.Items[1].User != "é" || p.HasMore {
			t.Fatalf("second page %+v", p)
		}
		for _, c := range []int64{9, 2, 7} {
			put(t, s, s.PutMember, c, "a", domain.RoleMember, t0)
		}
		chats := func(within []int64, page domain.PageRequest[int64]) domain.Page[int64] {
			t.Helper()
			p, err := s.MemberChats(ctx, tok, "a", within, page)
			must(t, err)
			return p
		}
		if p := chats(nil, domain.PageRequest[int64]{Limit: 2}); len(p.Items) != 2 || p.Items[0] != 2 || p.Items[1] != 5 || !p.HasMore {
			t.Fatalf("a's first chats %+v", p)
		}
		if p := chats(nil, domain.PageRequest[int64]{After: 5, Limit: 5}); len(p.Items) != 2 || p.Items[0] != 7 || p.HasMore {
			t.Fatalf("a's next chats %+v", p)
		}
		if p := chats(nil, domain.PageRequest[int64]{Backward: true, Limit: 1}); len(p.Items) != 1 || p.Items[0] != 9 || !p.HasMore {
			t.Fatalf("a's last chat %+v", p)
		}
		if p := chats([]int64{7, 8}, domain.PageRequest[int64]{Limit: 5}); len(p.Items) != 1 || p.Items[0] != 7 {
			t.Fatalf("a's chats within 7, 8: %+v", p)
		}
		if p := chats([]int64{}, domain.PageRequest[int64]{Limit: 5}); len(p.Items) != 0 {
			t.Fatalf("a's chats within none: %+v", p)
		}
	})
}

// MemberCacheContract runs the ports.MemberCache suite. newPair gives two
// api instances' views of one empty cache (the same value twice where
// there is one process).
func MemberCacheContract(t *testing.T, newPair func(t *testing.T) (a, b ports.MemberCache)) {
	ctx := context.Background()
	get := func(t *testing.T, c ports.MemberCache, tok domain.Token, user domain.UserID) (domain.ChatRights, bool) {
		t.Helper()
		r, found, err := c.ChatRights(ctx, tok, 1, user)
		must(t, err)
		return r, found
	}
	private := domain.ChatRights{Number: 1, Visibility: domain.VisibilityPrivate}

	t.Run("nothing is found until filled or stored; a stored change wins over a fill", func(t *testing.T) {
		a, _ := newPair(t)
		tok := domain.NewToken()
		if r, found := get(t, a, tok, "ann"); found {
			t.Fatalf("found %+v", r)
		}
		must(t, a.Fill(ctx, tok, 1, "ann", private))
		if r, found := get(t, a, tok, "ann"); !found || r.Role != "" || r.Visibility != domain.VisibilityPrivate {
			t.Fatalf("after Fill: %+v %v", r, found)
		}
		must(t, a.StoreRole(ctx, tok, 1, "ann", domain.RoleModerator))
		must(t, a.StoreVisibility(ctx, tok, 1, domain.VisibilityPublic))
		must(t, a.Fill(ctx, tok, 1, "ann", private)) // an older load, finishing after the change
		if r, _ := get(t, a, tok, "ann"); r.Role != domain.RoleModerator || r.Visibility != domain.VisibilityPublic {
			t.Fatalf("a Fill replaced a stored change: %+v", r)
		}
		if _, found := get(t, a, tok, "bob"); found {
			t.Fatal("another user found something")
		}
		must(t, a.Forget(ctx, tok, 1, "ann"))
		if r, found := get(t, a, tok, "ann"); found {
			t.Fatalf("found %+v after Forget", r)
		}
	})

	t.Run("a removal stored by one instance holds on the other", func(t *testing.T) {
		a, b := newPair(t)
		tok := domain.NewToken()
		must(t, a.Fill(ctx, tok, 1, "ann", domain.ChatRights{Number: 1, Visibility: domain.VisibilityPrivate, Role: domain.RoleMember}))
		for range 2 { // the second lookup is served from b's memory
			if r, found := get(t, b, tok, "ann"); !found || r.Role != domain.RoleMember {
				t.Fatalf("b before the removal: %+v %v", r, found)
			}
		}
		must(t, a.StoreRole(ctx, tok, 1, "ann", ""))
		deadline := time.Now().Add(2 * time.Second)
		for r, _ := get(t, b, tok, "ann"); r.Role != ""; r, _ = get(t, b, tok, "ann") {
			if time.Now().After(deadline) {
				t.Fatalf("b still finds %+v after the removal", r)
			}
			time.Sleep(time.Millisecond)
		}
	})
}
