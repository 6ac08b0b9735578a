package stream_test

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/internal/testenv"
)

// Unsettled says from where a group may still hold events back: its oldest
// pending one, or past the last it read, or everything when it does not exist.
func TestUnsettled(t *testing.T) { testenv.EachRedis(t, testUnsettled) }

func testUnsettled(t *testing.T, addr string) {
	ctx := context.Background()
	client := goRedis(t, addr)
	topics := eventwire.Topics{Prefix: "unsettled." + testenv.Suffix(), Partitions: 1}
	topic := topics.Partition(0)
	defer client.Del(ctx, topic)
	at := func(want string) {
		t.Helper()
		got, err := stream.Unsettled(ctx, client, topics, "hooks")
		if err != nil || got[topic] != want {
			t.Fatalf("unsettled %v (%v), want %s", got, err, want)
		}
	}
	at("0-0") // no stream
	var ids []string
	for i := 0; i < 4; i++ {
		id, err := client.XAdd(ctx, &goredis.XAddArgs{Stream: topic, ID: "5-" + string(rune('1'+i)), Values: map[string]any{"i": i}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	at("0-0") // no group
	if err := client.XGroupCreate(ctx, topic, "hooks", "0").Err(); err != nil {
		t.Fatal(err)
	}
	at("0-1") // nothing read: from the first possible entry
	res, err := client.XReadGroup(ctx, &goredis.XReadGroupArgs{Group: "hooks", Consumer: "c", Streams: []string{topic, ">"}, Count: 3, Block: -1}).Result()
	if err != nil || len(res[0].Messages) != 3 {
		t.Fatalf("read %v (%v)", res, err)
	}
	at(ids[0]) // three in hand
	client.XAck(ctx, topic, "hooks", ids[0])
	at(ids[1])
	client.XAck(ctx, topic, "hooks", ids[1], ids[2])
	at("5-4") // all read acknowledged: what comes after the last read (5-3) is not taken yet
}
