package stream

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/eventwire"
)

// DeadLetter is one event the worker gave up on, as an operator sees it.
type DeadLetter struct {
	StreamID string // the entry's id in the dead-letter stream
	UUID     string
	Topic    string // where it came from, and where a replay sends it
	Reason   string
	Kind     string
	Request  string // the id of the request that caused it, if known
	Payload  string
}

// DeadLetters lists up to count entries of a dead-letter stream, oldest first.
func DeadLetters(ctx context.Context, client goredis.UniversalClient, stream string, count int64) ([]DeadLetter, error) {
	entries, err := client.XRangeN(ctx, stream, "-", "+", count).Result()
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(entries))
	for _, e := range entries {
		msg, err := redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(e.Values)
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", e.ID, err)
		}
		out = append(out, DeadLetter{
			StreamID: e.ID, UUID: msg.UUID, Topic: msg.Metadata.Get(middleware.PoisonedTopicKey),
			Reason: msg.Metadata.Get(middleware.ReasonForPoisonedKey), Kind: msg.Metadata.Get(eventwire.TypeKey), Payload: string(msg.Payload),
			Request: msg.Metadata.Get(eventwire.RequestIDKey),
		})
	}
	return out, nil
}

// Replay sends dead letters back to the topic they came from (once the cause
// is fixed) and removes them from the dead-letter stream. Applying an event
// is idempotent, so a replay of one that did get applied changes nothing.
// onEach, if given, hears each letter replayed (for progress).
func Replay(ctx context.Context, client goredis.UniversalClient, pub message.Publisher, stream string, letters []DeadLetter, onEach func(DeadLetter)) (int, error) {
	n := 0
	for _, l := range letters {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if l.Topic == "" {
			return n, fmt.Errorf("entry %s does not say where it came from", l.StreamID)
		}
		msg := message.NewMessage(l.UUID, []byte(l.Payload))
		msg.Metadata.Set(eventwire.TypeKey, l.Kind)
		if l.Request != "" {
			msg.Metadata.Set(eventwire.RequestIDKey, l.Request)
		}
		if err := pub.Publish(l.Topic, msg); err != nil {
			return n, err
		}
		if err := client.XDel(ctx, stream, l.StreamID).Err(); err != nil {
			return n, err
		}
		n++
		if onEach != nil {
			onEach(l)
		}
	}
	return n, nil
}
