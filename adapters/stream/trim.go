package stream

import (
	"context"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/eventwire"
)

// TrimAcknowledged removes from each partition the entries that every
// consumer group named has acknowledged, so the streams hold the backlog and
// not the history. An entry is kept while any group has yet to read it or
// holds it pending; a group that does not exist yet keeps everything.
// Entries younger than retain are kept too: the live streams resume from
// them. The optional groups count only where they exist (a group of a role
// no worker may run: the webhooks'). It returns how many entries were removed.
func TrimAcknowledged(ctx context.Context, client goredis.UniversalClient, topics eventwire.Topics, groups []string, retain time.Duration, optional ...string) (int64, error) {
	var removed int64
	retained := strconv.FormatInt(time.Now().Add(-retain).UnixMilli(), 10) + "-0"
	for _, topic := range topics.All() {
		infos, err := client.XInfoGroups(ctx, topic).Result()
		if err != nil {
			if goredis.HasErrorPrefix(err, "no such key") {
				continue
			}
			return removed, err
		}
		byName := map[string]goredis.XInfoGroup{}
		for _, g := range infos {
			byName[g.Name] = g
		}
		keep := ""
		needed := groups
		for _, name := range optional {
			if _, ok := byName[name]; ok {
				needed = append(slices.Clone(needed), name)
			}
		}
		for _, name := range needed {
			g, ok := byName[name]
			if !ok {
				keep = "0-0"
				break
			}
			// The oldest entry this group still needs: its oldest pending one,
			// or else the one after the last it was given.
			need := eventwire.NextID(g.LastDeliveredID)
			if g.Pending > 0 {
				p, err := client.XPending(ctx, topic, name).Result()
				if err != nil {
					return removed, err
				}
				need = p.Lower
			}
			if keep == "" || eventwire.LessID(need, keep) {
				keep = need
			}
		}
		if keep == "" || keep == "0-0" {
			continue
		}
		if eventwire.LessID(retained, keep) {
			keep = retained
		}
		n, err := client.XTrimMinID(ctx, topic, keep).Result()
		if err != nil {
			return removed, err
		}
		removed += n
	}
	return removed, nil
}
