package application

import (
	"context"
	"fmt"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// SequencedQueue is a ports.EventQueue made of a sequencer and a publisher,
// for a profile whose sequencer cannot append (the embedded one). A number
// whose publish fails is a gap, never handed out again.
type SequencedQueue struct {
	seq ports.Sequencer
	pub ports.EventPublisher
}

func NewSequencedQueue(seq ports.Sequencer, pub ports.EventPublisher) *SequencedQueue {
	return &SequencedQueue{seq: seq, pub: pub}
}

// Append allocates the draft's number, then publishes the numbered event.
// It keeps no idempotency keys (a test double of a queue).
func (q *SequencedQueue) Append(ctx context.Context, draft domain.Event, _ domain.Idempotency) (domain.Event, bool, error) {
	ev, err := q.append(ctx, draft)
	return ev, false, err
}

func (q *SequencedQueue) append(ctx context.Context, draft domain.Event) (domain.Event, error) {
	var ev domain.Event
	switch e := draft.(type) {
	case domain.ChatCreated:
		n, err := q.seq.NextChatNumber(ctx, e.Token)
		if err != nil {
			return nil, err
		}
		e.Number = n
		ev = e
	case domain.MessageCreated:
		n, err := q.seq.NextMessageNumber(ctx, e.Token, e.Chat)
		if err != nil {
			return nil, err
		}
		e.Number = n
		ev = e
	case domain.MessageEdited:
		v, err := q.seq.NextEditVersion(ctx, e.Token, e.Chat, e.Number)
		if err != nil {
			return nil, err
		}
		e.Version = v
		ev = e
	case domain.MessageDeleted:
		v, err := q.seq.NextEditVersion(ctx, e.Token, e.Chat, e.Number)
		if err != nil {
			return nil, err
		}
		e.Version = v
		ev = e
	default:
		return nil, fmt.Errorf("cannot number %T", draft)
	}
	if err := q.pub.Publish(ctx, ev); err != nil {
		return nil, err
	}
	return ev, nil
}
