package bootstrap

import (
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/stream"
)

// newGroupKeeper recreates the consumer groups (persisting and indexing)
// when Redis lost them, and remembers whether it could, for /readyz.
func newGroupKeeper(lc fx.Lifecycle, streamCfg StreamConfig, workerCfg WorkerConfig, client goredis.UniversalClient, log *zap.Logger) *stream.GroupKeeper {
	k := stream.NewGroupKeeper(client, streamCfg.Topics(), streamCfg.Groups(), log)
	lc.Append(fx.StartHook(k.Check)) // before the subscribers start: a failure is only reported
	every(lc, workerCfg.GroupCheckEvery, k.Check)
	return k
}
