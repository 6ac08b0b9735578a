package memory

import (
	"context"
	"sync"

	"github.com/chatsvc/chat/domain"
)

// MemberCache is ports.MemberCache in process, for the embedded profile.
type MemberCache struct {
	mu         sync.RWMutex
	visibility map[domain.ChatKey]domain.Visibility
	roles      map[memberKey]domain.Role
}

type memberKey struct {
	chat domain.ChatKey
	user domain.UserID
}

func NewMemberCache() *MemberCache {
	return &MemberCache{visibility: map[domain.ChatKey]domain.Visibility{}, roles: map[memberKey]domain.Role{}}
}

func (m *MemberCache) ChatRights(_ context.Context, token domain.Token, chat int64, user domain.UserID) (domain.ChatRights, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ck := domain.ChatKey{Token: token, Number: chat}
	vis, ok1 := m.visibility[ck]
	role, ok2 := m.roles[memberKey{ck, user}]
	if !ok1 || !ok2 {
		return domain.ChatRights{}, false, nil
	}
	return domain.ChatRights{Number: chat, Visibility: vis, Role: role}, true, nil
}

func (m *MemberCache) Forget(_ context.Context, token domain.Token, chat int64, user domain.UserID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.roles, memberKey{domain.ChatKey{Token: token, Number: chat}, user})
	return nil
}

func (m *MemberCache) StoreRole(_ context.Context, token domain.Token, chat int64, user domain.UserID, role domain.Role) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roles[memberKey{domain.ChatKey{Token: token, Number: chat}, user}] = role
	return nil
}

func (m *MemberCache) StoreVisibility(_ context.Context, token domain.Token, chat int64, v domain.Visibility) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.visibility[domain.ChatKey{Token: token, Number: chat}] = v
	return nil
}

func (m *MemberCache) Fill(_ context.Context, token domain.Token, chat int64, user domain.UserID, rights domain.ChatRights) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ck := domain.ChatKey{Token: token, Number: chat}
	if _, ok := m.visibility[ck]; !ok {
		m.visibility[ck] = rights.Visibility
	}
	if _, ok := m.roles[memberKey{ck, user}]; !ok {
		m.roles[memberKey{ck, user}] = rights.Role
	}
	return nil
}
