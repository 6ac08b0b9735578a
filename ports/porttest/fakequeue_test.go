package porttest_test

import (
	"testing"

	"github.com/chatsvc/chat/ports/porttest"
)

// The use cases' fake queue numbers as the real ones do.
func TestFakeQueueContract(t *testing.T) {
	porttest.EventQueueContract(t, func(t *testing.T, seeds *porttest.Seeds) porttest.Queue { return porttest.NewFakeQueue(seeds) })
}
