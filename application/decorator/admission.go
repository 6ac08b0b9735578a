package decorator

import (
	"context"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// AdmitWrites puts admission in front of a queue: an append the admission
// refuses is not made (no number is taken). A nil admission admits all.
func AdmitWrites(q ports.EventQueue, a ports.WriteAdmission) ports.EventQueue {
	if a == nil {
		return q
	}
	return admittedQueue{q, a}
}

type admittedQueue struct {
	ports.EventQueue
	admission ports.WriteAdmission
}

func (q admittedQueue) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	token, _, _, _, _ := domain.Subject(draft)
	if err := q.admission.Admit(ctx, token); err != nil {
		return nil, false, err
	}
	return q.EventQueue.Append(ctx, draft, idem)
}
