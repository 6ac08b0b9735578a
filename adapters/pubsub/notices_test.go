package pubsub_test

import (
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/pubsub"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// Each test has a channel of its own; each instance a client of its own.
func TestNoticesContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		var channel string
		porttest.NoticesContract(t, func(t *testing.T) ports.Notices {
			if channel == "" || !strings.HasPrefix(channel, t.Name()) {
				channel = t.Name() + "." + testenv.Suffix()
			}
			c := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: strings.Split(addr, ",")})
			t.Cleanup(func() { _ = c.Close() })
			return pubsub.NewNotices(c, channel)
		})
	})
}
