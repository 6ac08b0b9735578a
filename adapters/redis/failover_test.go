package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/adapters/eventwire"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports/porttest"
)

// A planned failover of the master that holds an application's partition
// (an operator's CLUSTER FAILOVER, as in a rolling upgrade) while creates
// run: the sequencer follows the cluster to the promoted replica, every
// number is handed out once, and every create answered is on the stream.
func TestSequencerFollowsAPlannedFailover(t *testing.T) {
	ctx := context.Background()
	c := client(t, testenv.OwnRedisCluster(t, 3))
	topics := eventwire.Topics{Prefix: "chat.events", Partitions: 4}
	seeds := porttest.NewSeeds()
	seq := redisadapter.NewSequencer(c, seeds, redisadapter.Config{Topics: topics, Lease: 1000, HistoryCheck: true})
	tok := registered(t, seq)
	if _, _, err := seq.Append(ctx, domain.ChatCreated{Token: tok, CreatedAt: time.Now()}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	seeds.Chats[tok] = 1 // the application and its chat are in the system of record

	var (
		mu       sync.Mutex
		answered = map[int64]int{}
		failures int
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ev, _, err := seq.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "m", CreatedAt: time.Now()}, domain.Idempotency{})
				mu.Lock()
				if err != nil {
					failures++
				} else {
					_, _, n, _, _ := domain.Subject(ev)
					answered[n]++
				}
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(answered) }
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for count() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d creates answered, want %d (%d failed)", count(), n, failures)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(500)

	// The replica of the partition's master takes over.
	partition := topics.For(tok)
	slot, err := c.Do(ctx, c.B().ClusterKeyslot().Key(partition).Build()).AsInt64()
	if err != nil {
		t.Fatal(err)
	}
	master, replica := slotOwners(t, c, slot)
	if err := replica.Do(ctx, replica.B().ClusterFailover().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		role, _ := replica.Do(ctx, replica.B().Role().Build()).ToArray()
		if len(role) > 0 {
			if r, _ := role[0].ToString(); r == "master" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica was not promoted")
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := count()
	waitFor(before + 500)
	close(stop)
	wg.Wait()

	for n, times := range answered {
		if times != 1 {
			t.Fatalf("number %d handed out %d times", n, times)
		}
	}
	// Every answered create is on the partition's stream, now served by the
	// promoted replica.
	entries, err := c.Do(ctx, c.B().Xrange().Key(partition).Start("-").End("+").Build()).AsXRange()
	if err != nil {
		t.Fatal(err)
	}
	onStream := map[int64]bool{}
	for _, e := range entries {
		var n int64
		if _, err := fmt.Sscanf(e.FieldValues["payload"], `{"number":%d`, &n); err == nil && strings.Contains(e.FieldValues["payload"], `"chat":1`) {
			onStream[n] = true
		}
	}
	for n := range answered {
		if !onStream[n] {
			t.Fatalf("message %d was answered but is not on the stream (%d entries)", n, len(entries))
		}
	}
	t.Logf("%d creates answered (%d before the failover of %s), %d failed meanwhile", len(answered), before, master, failures)
}

// slotOwners finds the master serving slot and its replica, a client of its own.
func slotOwners(t *testing.T, c rueidis.Client, slot int64) (string, rueidis.Client) {
	t.Helper()
	nodes, err := c.Do(context.Background(), c.B().ClusterNodes().Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	master, replica := testenv.SlotOwners(nodes, slot)
	if replica == "" {
		t.Fatalf("no replica of the master of slot %d in\n%s", slot, nodes)
	}
	r, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{replica}, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return master, r
}

// A replica promoted before it received its master's last writes is behind
// what the master handed out. With the history check its sequences are
// re-seeded from the system of record (the promotion started a new
// replication history), and no number the master answered is handed out
// again; without it, the promoted replica hands them out a second time.
func TestSequencerNeverReissuesAfterAFailoverToALaggingReplica(t *testing.T) {
	for _, check := range []bool{true, false} {
		t.Run(fmt.Sprintf("check=%v", check), func(t *testing.T) {
			reissued := failoverToALaggingReplica(t, check)
			if check && reissued > 0 {
				t.Fatalf("%d numbers handed out again after the failover", reissued)
			}
			if !check && reissued == 0 {
				t.Fatal("without the check nothing was handed out again: the test does not show the hazard")
			}
		})
	}
}

func failoverToALaggingReplica(t *testing.T, check bool) (reissued int) {
	ctx := context.Background()
	primaryAddr, replicaAddr := testenv.OwnRedis(t), testenv.OwnRedis(t)
	primary, replica := client(t, primaryAddr), client(t, replicaAddr)
	host, port, _ := strings.Cut(primaryAddr, ":")
	// The first sync at once, rather than after diskless sync's 5 s of waiting for more replicas.
	must(t, primary.Do(ctx, primary.B().ConfigSet().ParameterValue().ParameterValue("repl-diskless-sync-delay", "0").Build()).Error())
	if err := replica.Do(ctx, replica.B().Replicaof().Host(host).Port(mustAtoi(t, port)).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	seeds := porttest.NewSeeds() // the system of record, shared
	cfg := redisadapter.Config{Lease: 8, HistoryCheck: check}
	seq := redisadapter.NewSequencer(primary, seeds, cfg)
	tok := domain.NewToken()
	must(t, seq.RegisterApplication(ctx, tok))
	seeds.Chats[tok] = 1 // the application and its first chat reached the system of record
	handed := map[string]bool{}
	next := func(s *redisadapter.Sequencer, what string) {
		t.Helper()
		var n int64
		var err error
		if what == "chat" {
			n, err = nextChat(ctx, s, tok)
		} else {
			n, err = nextMessage(ctx, s, tok, 1)
		}
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprint(what, n)
		if handed[key] {
			reissued++
		}
		handed[key] = true
	}
	for range 5 {
		next(seq, "chat")
		next(seq, "message")
	}
	// The replica has all of it; then it is cut off (promoted), and the
	// master answers more that the replica never receives.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := primary.Do(ctx, primary.B().Wait().Numreplicas(1).Timeout(100).Build()).AsInt64()
		if err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not catch up: %d %v", n, err)
		}
	}
	must(t, replica.Do(ctx, replica.B().Replicaof().No().One().Build()).Error())
	for range 5 {
		next(seq, "chat")
		next(seq, "message")
	}
	// The clients now reach the promoted replica.
	promoted := redisadapter.NewSequencer(replica, seeds, cfg)
	for range 5 {
		next(promoted, "chat")
		next(promoted, "message")
	}
	return reissued
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
