package embedded_test

import (
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/embedded"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func TestReadCacheContract(t *testing.T) {
	porttest.ReadCacheContract(t, func(t *testing.T) ports.ReadCache { return embedded.NewReadCache(1000, time.Minute) })
}
