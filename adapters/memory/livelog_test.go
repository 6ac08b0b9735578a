package memory_test

import (
	"testing"

	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/ports/porttest"
)

func TestLiveLogContract(t *testing.T) {
	porttest.LiveLogContract(t, func(t *testing.T) porttest.LiveLogSetup {
		l := memory.NewLiveLog(64)
		return porttest.LiveLogSetup{Log: l, Append: l.Append, Keep: 64}
	})
}
