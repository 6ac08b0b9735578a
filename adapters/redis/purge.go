package redis

import (
	"context"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
)

// KeyPurge is ports.KeyPurge on Redis: every key that names the
// application (its sequences and idempotency keys under its partition's
// tag, its access, rate limits, members' and read cache keys under its
// own), found by SCAN on every node and removed with UNLINK, a few hundred
// at a time. A token is 24 random characters: no other key contains it.
// The streams' entries are not removed: the partitions are shared by many
// applications, and their length cap trims the entries away.
type KeyPurge struct {
	client rueidis.Client
}

func NewKeyPurge(client rueidis.Client) *KeyPurge { return &KeyPurge{client: client} }

// purgeScanCount is how many keys one SCAN step looks at.
const purgeScanCount = 1000

func (p *KeyPurge) PurgeApplicationKeys(ctx context.Context, token domain.Token) (int, error) {
	removed := 0
	for _, node := range p.client.Nodes() {
		cursor := uint64(0)
		for {
			entry, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match("chat:*"+string(token)+"*").Count(purgeScanCount).Build()).AsScanEntry()
			if err != nil {
				return removed, unavailable(err)
			}
			// One key a command, routed by the client: in a cluster a
			// multi-key UNLINK must stay in one slot, and a replica's keys
			// are its primary's to remove.
			cmds := make(rueidis.Commands, 0, len(entry.Elements))
			for _, key := range entry.Elements {
				cmds = append(cmds, p.client.B().Unlink().Key(key).Build())
			}
			for _, r := range p.client.DoMulti(ctx, cmds...) {
				n, err := r.AsInt64()
				if err != nil {
					return removed, unavailable(err)
				}
				removed += int(n)
			}
			cursor = entry.Cursor
			if cursor == 0 {
				break
			}
		}
	}
	return removed, nil
}
