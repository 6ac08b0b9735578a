package bootstrap

import (
	"context"
	"errors"
	"sync"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/stream"
)

// groupKeeper recreates the consumer groups (persisting and indexing) when
// Redis lost them, and remembers whether it could, for /readyz.
type groupKeeper struct {
	mu  sync.Mutex
	err error
}

func newGroupKeeper(lc fx.Lifecycle, streamCfg StreamConfig, workerCfg WorkerConfig, client goredis.UniversalClient, log *zap.Logger) *groupKeeper {
	k := &groupKeeper{err: errors.New("consumer groups not checked yet")}
	check := func(ctx context.Context) {
		n, err := stream.EnsureGroups(ctx, client, streamCfg.Topics(), streamCfg.Groups())
		if n > 0 {
			log.Warn("recreated missing consumer groups (did Redis lose its data?)", zap.Int("groups", n))
		}
		k.mu.Lock()
		k.err = err
		k.mu.Unlock()
	}
	lc.Append(fx.StartHook(check)) // before the subscribers start: a failure is only reported
	every(lc, workerCfg.GroupCheckEvery, check)
	return k
}

// Ready says whether every consumer group was there at the last check.
func (k *groupKeeper) Ready(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}
