package streamlog_test

import (
	"context"
	"errors"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/adapters/streamlog"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// The write admission refuses the applications of a partition with more
// unacknowledged events than its limit (by the slower group, a missing group
// counting every event) and only those; it admits them again once the
// groups catch up, and admits everything when it cannot read the backlog.
func TestBacklogGate(t *testing.T) { testenv.EachRedis(t, testBacklogGate) }

func testBacklogGate(t *testing.T, addr string) {
	ctx := context.Background()
	client := goRedis(t, addr)
	topics := eventwire.Topics{Prefix: "gate." + testenv.Suffix(), Partitions: 2}
	defer client.Del(ctx, topics.All()...)
	// An application on each partition.
	var busy, quiet domain.Token
	for busy == "" || quiet == "" {
		tok := domain.NewToken()
		if topics.For(tok) == topics.Partition(0) {
			busy = tok
		} else {
			quiet = tok
		}
	}
	full := topics.Partition(0)
	for i := range 10 {
		if err := client.XAdd(ctx, &goredis.XAddArgs{Stream: full, Values: map[string]any{"i": i}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.XAdd(ctx, &goredis.XAddArgs{Stream: topics.Partition(1), Values: map[string]any{"i": 0}}).Err(); err != nil {
		t.Fatal(err)
	}
	gate := streamlog.NewBacklogGate(client, topics, []string{"persist", "index"}, 5)
	admits := func(tok domain.Token) bool {
		err := gate.Admit(ctx, tok)
		if err != nil && !errors.Is(err, domain.ErrOverloaded) {
			t.Fatalf("admission failed with %v", err)
		}
		return err == nil
	}
	if !admits(busy) {
		t.Fatal("refused before any reading")
	}
	refresh := func(want map[string]int64) {
		t.Helper()
		got, err := gate.Refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for topic, n := range want {
			if got[topic] != n {
				t.Fatalf("backlog %v, want %v", got, want)
			}
		}
	}
	// No group yet: nothing is acknowledged.
	refresh(map[string]int64{full: 10, topics.Partition(1): 1})
	if admits(busy) || !admits(quiet) {
		t.Fatal("no group: the full partition's application must be refused, the other's admitted")
	}
	for _, g := range []string{"persist", "index"} {
		if err := client.XGroupCreate(ctx, full, g, "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	consume := func(group string, n int64, ack bool) []string {
		res, err := client.XReadGroup(ctx, &goredis.XReadGroupArgs{Group: group, Consumer: "c", Streams: []string{full, ">"}, Count: n, Block: -1}).Result()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range res[0].Messages {
			ids = append(ids, m.ID)
			if ack {
				client.XAck(ctx, full, group, m.ID)
			}
		}
		return ids
	}
	// Delivered but not acknowledged still counts; the slower group decides.
	inHand := consume("persist", 10, false)
	consume("index", 8, true)
	refresh(map[string]int64{full: 10})
	if admits(busy) {
		t.Fatal("events in hand are not acknowledged: still over the limit")
	}
	client.XAck(ctx, full, "persist", inHand...)
	refresh(map[string]int64{full: 2})
	if !admits(busy) {
		t.Fatal("both groups under the limit: admitted again")
	}
	// Over the limit again; then a backlog that cannot be read admits (the
	// gate fails open: a write Redis can take is not refused for want of a reading).
	for i := range 10 {
		client.XAdd(ctx, &goredis.XAddArgs{Stream: full, Values: map[string]any{"i": i}})
	}
	refresh(map[string]int64{full: 12})
	if admits(busy) {
		t.Fatal("over the limit again: refused")
	}
	other := topics.Partition(1)
	client.Del(ctx, other)
	if err := client.Set(ctx, other, "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := gate.Refresh(ctx); err == nil {
		t.Fatal("a partition that is not a stream was read")
	}
	if !admits(busy) {
		t.Fatal("an unreadable backlog must not refuse writes")
	}
}
