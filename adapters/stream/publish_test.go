package stream_test

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/domain"
)

// eventPub appends numbered events to their partitions in the wire format,
// as the sequencer's script does, through any Watermill publisher.
type eventPub struct {
	pub    message.Publisher
	topics eventwire.Topics
}

func (p eventPub) Publish(ctx context.Context, e domain.Event) error {
	msg, err := eventwire.Encode(ctx, e)
	if err != nil {
		return err
	}
	token, _, _, _, _ := domain.Subject(e)
	return p.pub.Publish(p.topics.For(token), msg)
}
