package memory

import (
	"context"
	"sync"

	"github.com/chatsvc/chat/domain"
)

// Notices is ports.Notices in process, for the embedded profile (one
// instance): a notice is handed to every listener as it is published.
type Notices struct {
	mu        sync.RWMutex
	listeners map[*func(domain.Notice)]struct{}
}

func NewNotices() *Notices { return &Notices{listeners: map[*func(domain.Notice)]struct{}{}} }

func (n *Notices) Publish(_ context.Context, notice domain.Notice) error {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for fn := range n.listeners {
		(*fn)(notice)
	}
	return nil
}

// Listen serialises its own listener's calls, as a subscription would.
func (n *Notices) Listen(ctx context.Context, ready func(), fn func(domain.Notice)) error {
	var one sync.Mutex
	serial := func(notice domain.Notice) {
		one.Lock()
		defer one.Unlock()
		fn(notice)
	}
	n.mu.Lock()
	n.listeners[&serial] = struct{}{}
	n.mu.Unlock()
	ready()
	<-ctx.Done()
	n.mu.Lock()
	delete(n.listeners, &serial)
	n.mu.Unlock()
	return nil
}
