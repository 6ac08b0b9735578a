package stream

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/chatsvc/chat/domain"
)

// Publisher implements ports.EventPublisher over any Watermill publisher.
type Publisher struct {
	pub        message.Publisher
	topics     Topics
	published  func(topic string)
	dependency string
}

// NewPublisher publishes to topics through pub. dependency names what pub
// talks to ("redis"), for the 503 a failure becomes; published is told of
// every event appended (metrics); it may be nil.
func NewPublisher(pub message.Publisher, topics Topics, dependency string, published func(topic string)) *Publisher {
	if published == nil {
		published = func(string) {}
	}
	return &Publisher{pub: pub, topics: topics, published: published, dependency: dependency}
}

// Publish appends the event to its partition's stream.
func (p *Publisher) Publish(ctx context.Context, e domain.Event) error {
	msg, err := Encode(ctx, e)
	if err != nil {
		return err
	}
	msg.SetContext(ctx)
	token, _, _, _, _ := domain.Subject(e)
	topic := p.topics.For(token)
	if err := p.pub.Publish(topic, msg); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return domain.Unavailable(p.dependency, err)
	}
	p.published(topic)
	return nil
}
