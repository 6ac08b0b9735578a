package memory_test

import (
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func TestReadCacheContract(t *testing.T) {
	porttest.ReadCacheContract(t, func(t *testing.T) ports.ReadCache { return memory.NewReadCache(1000, time.Minute) })
}

func TestApplicationAccessContract(t *testing.T) {
	porttest.ApplicationAccessContract(t, func(t *testing.T) (ports.ApplicationAccess, ports.ApplicationAccess) {
		a := memory.NewApplicationAccess()
		return a, a
	})
}

func TestMemberCacheContract(t *testing.T) {
	porttest.MemberCacheContract(t, func(t *testing.T) (ports.MemberCache, ports.MemberCache) {
		c := memory.NewMemberCache()
		return c, c
	})
}
