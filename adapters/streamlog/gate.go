package streamlog

import (
	"context"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/domain"
)

// BacklogGate is the api's write admission (ports.WriteAdmission): it
// refuses the writes of applications whose partition holds more than Max
// events that one of the consumer groups has not acknowledged yet. Refresh
// reads the partitions (every few seconds); Admit costs no round trip.
type BacklogGate struct {
	client goredis.UniversalClient
	topics eventwire.Topics
	groups []string
	max    int64
	full   atomic.Pointer[map[string]bool] // partitions over Max at the last Refresh
}

// NewBacklogGate makes a gate over every partition of topics, for the
// consumer groups named; a limit <= 0 admits everything.
func NewBacklogGate(client goredis.UniversalClient, topics eventwire.Topics, groups []string, limit int64) *BacklogGate {
	return &BacklogGate{client: client, topics: topics, groups: groups, max: limit}
}

// Admit refuses with domain.ErrOverloaded while the application's partition
// was over the limit at the last Refresh.
func (g *BacklogGate) Admit(_ context.Context, token domain.Token) error {
	if full := g.full.Load(); full != nil && (*full)[g.topics.For(token)] {
		return domain.ErrOverloaded
	}
	return nil
}

// Over tells whether a partition holding n unacknowledged events is over the limit.
func (g *BacklogGate) Over(n int64) bool { return g.max > 0 && n > g.max }

// Refresh reads each partition's backlog, the longest of its groups', and
// returns it. When it cannot be read the gate admits everything (it fails
// open: a write that Redis can take is not refused for want of a reading).
func (g *BacklogGate) Refresh(ctx context.Context) (map[string]int64, error) {
	backlog, err := Unacknowledged(ctx, g.client, g.topics, g.groups)
	full := map[string]bool{}
	if err == nil {
		for topic, n := range backlog {
			full[topic] = g.Over(n)
		}
	}
	g.full.Store(&full)
	return backlog, err
}

// Unacknowledged is, per partition, the most events one of the groups has
// not acknowledged: those never delivered to it plus those in hand. A group
// that does not exist (yet) has acknowledged nothing; where Redis cannot
// tell a group's lag (after deletions), the stream's length stands for it.
func Unacknowledged(ctx context.Context, client goredis.UniversalClient, topics eventwire.Topics, groups []string) (map[string]int64, error) {
	out := make(map[string]int64, topics.Partitions)
	for _, topic := range topics.All() {
		infos, err := client.XInfoGroups(ctx, topic).Result()
		if err != nil {
			if noStream(err) {
				out[topic] = 0
				continue
			}
			return nil, err
		}
		var most int64
		unknown := false // a group missing, or its lag unknown: the whole stream stands for it
		for _, group := range groups {
			known := false
			for _, info := range infos {
				if info.Name == group && info.Lag >= 0 {
					most, known = max(most, info.Lag+info.Pending), true
				}
			}
			unknown = unknown || !known
		}
		if unknown {
			n, err := client.XLen(ctx, topic).Result()
			if err != nil {
				return nil, err
			}
			most = max(most, n)
		}
		out[topic] = most
	}
	return out, nil
}
