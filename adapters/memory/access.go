package memory

import (
	"context"
	"sync"

	"github.com/chatsvc/chat/domain"
)

// ApplicationAccess is ports.ApplicationAccess in process, for the
// embedded profile: one process, so what it keeps is every instance's.
type ApplicationAccess struct {
	mu   sync.RWMutex
	kept map[domain.Token]domain.AppAccess
}

func NewApplicationAccess() *ApplicationAccess {
	return &ApplicationAccess{kept: map[domain.Token]domain.AppAccess{}}
}

func (a *ApplicationAccess) Access(_ context.Context, token domain.Token) (domain.AppAccess, bool, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	v, ok := a.kept[token]
	return v, ok, nil
}

func (a *ApplicationAccess) Forget(_ context.Context, token domain.Token) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.kept, token)
	return nil
}

func (a *ApplicationAccess) Store(_ context.Context, token domain.Token, access domain.AppAccess) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.kept[token] = access
	return nil
}

func (a *ApplicationAccess) Fill(_ context.Context, token domain.Token, access domain.AppAccess) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.kept[token]; !ok {
		a.kept[token] = access
	}
	return nil
}

// PurgeApplicationKeys is ports.KeyPurge in process: what the embedded
// profile keeps of an application outside its database is its access.
func (a *ApplicationAccess) PurgeApplicationKeys(_ context.Context, token domain.Token) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, kept := a.kept[token]
	delete(a.kept, token)
	if kept {
		return 1, nil
	}
	return 0, nil
}
