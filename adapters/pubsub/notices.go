// Package pubsub carries ephemeral notices (ports.Notices: typing, read
// positions, membership changes) between api instances over Redis
// pub/sub: at most once and kept nowhere, which is all a notice needs, and
// one hop from publisher to every subscribed instance. On a Redis Cluster a
// PUBLISH reaches the subscribers of every node.
package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/domain"
)

// Notices is ports.Notices on one Redis pub/sub channel.
type Notices struct {
	client  goredis.UniversalClient
	channel string
	// idle is how long Listen waits for a message before it pings, so that
	// a connection that died silently is noticed.
	idle time.Duration
}

// NewNotices publishes and listens on channel.
func NewNotices(client goredis.UniversalClient, channel string) *Notices {
	return &Notices{client: client, channel: channel, idle: 15 * time.Second}
}

type wire struct {
	Kind     string    `json:"k"`
	App      string    `json:"a"`
	Chat     int64     `json:"c"`
	User     string    `json:"u"`
	Through  int64     `json:"t,omitempty"`
	Role     string    `json:"r,omitempty"`
	Position string    `json:"p,omitempty"`
	At       time.Time `json:"at"`
}

func (n *Notices) Publish(ctx context.Context, notice domain.Notice) error {
	raw, err := json.Marshal(wire{Kind: string(notice.Kind), App: string(notice.App), Chat: notice.Chat, User: string(notice.User),
		Through: notice.Through, Role: string(notice.Role), Position: notice.Position, At: notice.At})
	if err != nil {
		return err
	}
	if err := n.client.Publish(ctx, n.channel, raw).Err(); err != nil {
		return domain.Unavailable("redis", err)
	}
	return nil
}

// Listen subscribes with a connection of its own. go-redis would connect
// and subscribe again by itself after a failure, silently missing what was
// published meanwhile; here a failure ends Listen instead, so that the
// caller knows notices may be lost.
func (n *Notices) Listen(ctx context.Context, ready func(), fn func(domain.Notice)) error {
	ps := n.client.Subscribe(ctx, n.channel)
	// A blocked read does not watch ctx: closing the subscription ends it.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer func() {
		stop()
		_ = ps.Close()
	}()
	subscribed := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, n.idle)
		if ctx.Err() != nil {
			return nil
		}
		var timeout net.Error
		switch m := msg.(type) {
		case *goredis.Subscription:
			if subscribed {
				return errors.New("notices: subscribed again after a lost connection")
			}
			subscribed = true
			ready()
		case *goredis.Message:
			if notice, ok := decode(m.Payload); ok {
				fn(notice)
			}
		case *goredis.Pong:
		default:
			if errors.As(err, &timeout) && timeout.Timeout() {
				if err := ps.Ping(ctx); err != nil {
					return fmt.Errorf("notices: ping: %w", err)
				}
				continue
			}
			return fmt.Errorf("notices: %w", err)
		}
	}
}

// decode reads a notice back; what is not one (another version's, or
// garbage on the channel) is skipped.
func decode(payload string) (domain.Notice, bool) {
	var w wire
	if json.Unmarshal([]byte(payload), &w) != nil {
		return domain.Notice{}, false
	}
	app, err := domain.ParseToken(w.App)
	if err != nil || w.Kind == "" {
		return domain.Notice{}, false
	}
	return domain.Notice{Kind: domain.NoticeKind(w.Kind), App: app, Chat: w.Chat, User: domain.UserID(w.User),
		Through: w.Through, Role: domain.Role(w.Role), Position: w.Position, At: w.At}, true
}
