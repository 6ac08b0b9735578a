package memory_test

import (
	"testing"

	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// One process: both "instances" are the same tally.
func TestChatTallyContract(t *testing.T) {
	porttest.ChatTallyContract(t, func(t *testing.T, seeds ports.TallySeeds) (ports.ChatTally, ports.ChatTally) {
		tally := memory.NewTally(seeds)
		return tally, tally
	})
}
