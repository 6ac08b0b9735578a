package bootstrap

import (
	"context"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/pubsub"
	"github.com/chatsvc/chat/adapters/streamlog"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/ports"
)

// The live streams of an api instance: the hub tails the event log once and
// fans it out, and hands the notices to the users' streams (see
// application.Live).
func liveModule(c LiveConfig) fx.Option {
	return fx.Module("live",
		fx.Provide(func(lc fx.Lifecycle, log ports.LiveLog, chats ports.ChatReader, msgs ports.MessageReader, numbers ports.MessageNumbers,
			notices ports.Notices, members ports.MemberStore, m *metrics.Metrics, zl *zap.Logger) *application.Live {
			l := application.NewLive(log, chats, msgs, numbers, application.LiveConfig{MaxStreams: c.MaxStreams, MaxPerApp: c.MaxPerApp, Buffer: c.Buffer},
				application.LiveHooks{Opened: m.LiveStreams.Inc, Closed: m.LiveStreams.Dec, Dropped: m.LiveDropped.Inc, Delivered: m.LiveDelivered.Inc})
			l.EnableUsers(notices, members)
			inBackground(lc, func(ctx context.Context) {
				l.Run(ctx, func(err error) { zl.Warn("tailing the event log for live streams", zap.Error(err)) })
			})
			return l
		}),
	)
}

// The event log on Redis Streams, production.
func streamLiveLog(streamCfg StreamConfig) fx.Option {
	return fx.Provide(func(client goredis.UniversalClient) ports.LiveLog {
		return streamlog.NewLiveLog(client, streamCfg.Topics())
	})
}

// Notices (typing, read positions, membership changes) between the api
// instances on Redis pub/sub, production: one channel beside the streams.
func redisNotices(streamCfg StreamConfig) fx.Option {
	return fx.Provide(func(client goredis.UniversalClient) ports.Notices {
		return pubsub.NewNotices(client, streamCfg.Prefix+".notices")
	})
}
