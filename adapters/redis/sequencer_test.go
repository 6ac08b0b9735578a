package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/adapters/eventwire"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func client(t *testing.T, addr string) rueidis.Client {
	t.Helper()
	c, err := redisadapter.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// ownTopics are streams of the test's own, removed when it ends: Append
// writes every event to one.
func ownTopics(t *testing.T, c rueidis.Client) eventwire.Topics {
	t.Helper()
	topics := eventwire.Topics{Prefix: "seqtest." + testenv.Suffix(), Partitions: 8}
	t.Cleanup(func() {
		for _, tp := range topics.All() {
			c.Do(context.Background(), c.B().Del().Key(tp).Build())
		}
	})
	return topics
}

// newSequencer is a sequencer on c whose events go to ownTopics.
func newSequencer(t *testing.T, c rueidis.Client, fences ports.SequenceFences, cfg redisadapter.Config) *redisadapter.Sequencer {
	t.Helper()
	cfg.Topics = ownTopics(t, c)
	return redisadapter.NewSequencer(c, fences, cfg)
}

// registered is a new application's token, registered with seq.
func registered(t *testing.T, seq *redisadapter.Sequencer) domain.Token {
	t.Helper()
	tok := domain.NewToken()
	if err := seq.RegisterApplication(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// number is what Append took: a creation's number, an edit's version.
func number(ev domain.Event, _ bool, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	_, _, n, v, _ := domain.Subject(ev)
	return max(n, v), nil
}

func nextChat(ctx context.Context, s *redisadapter.Sequencer, tok domain.Token) (int64, error) {
	return number(s.Append(ctx, domain.ChatCreated{Token: tok}, domain.Idempotency{}))
}

func nextMessage(ctx context.Context, s *redisadapter.Sequencer, tok domain.Token, chat int64) (int64, error) {
	return number(s.Append(ctx, domain.MessageCreated{Token: tok, Chat: chat}, domain.Idempotency{}))
}

func nextEdit(ctx context.Context, s *redisadapter.Sequencer, tok domain.Token, chat, message int64) (int64, error) {
	return number(s.Append(ctx, domain.MessageEdited{Token: tok, Chat: chat, Number: message}, domain.Idempotency{}))
}

func TestEventQueueContract(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		c := client(t, addr)
		porttest.EventQueueContract(t, func(t *testing.T, seeds *porttest.Seeds) porttest.Queue {
			return newSequencer(t, c, seeds, redisadapter.Config{HistoryCheck: true})
		})
	})
}

// loseApplication deletes every Redis key of the application, on every
// node of a cluster, as a Redis that lost its data would have none.
func loseApplication(t *testing.T, c rueidis.Client, tok domain.Token) {
	t.Helper()
	ctx := context.Background()
	found := 0
	for _, node := range c.Nodes() {
		keys, err := node.Do(ctx, node.B().Keys().Pattern("chat:{*}:"+string(tok)+":*").Build()).AsStrSlice()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if err := c.Do(ctx, c.B().Del().Key(k).Build()).Error(); err != nil {
				t.Fatal(err)
			}
		}
		found += len(keys)
	}
	if found == 0 {
		t.Fatalf("no keys of application %s", tok)
	}
}

// Redis restarted empty: the sequences come back from the store, and no
// number that the store holds is handed out again.
func TestSequencerReseedsAfterDataLoss(t *testing.T) {
	testenv.EachRedis(t, testSequencerReseedsAfterDataLoss)
}

func testSequencerReseedsAfterDataLoss(t *testing.T, addr string) {
	ctx := context.Background()
	c := client(t, addr)
	seeds := porttest.NewSeeds()
	seq := newSequencer(t, c, seeds, redisadapter.Config{Lease: 100})
	tok := registered(t, seq)
	for i := 0; i < 3; i++ {
		_, _ = nextChat(ctx, seq, tok)
	}
	for i := 0; i < 4; i++ {
		_, _ = nextMessage(ctx, seq, tok, 2)
	}
	// What the worker persisted before the loss.
	seeds.Chats[tok] = 3
	seeds.Messages[domain.ChatKey{Token: tok, Number: 2}] = [2]int64{4, 0}

	loseApplication(t, c, tok)

	// Numbering resumes above the reservation: here the initial lease, 100.
	if n, err := nextMessage(ctx, seq, tok, 2); err != nil || n != 101 {
		t.Fatalf("message after loss = %d, %v; want 101", n, err)
	}
	if n, err := nextMessage(ctx, seq, tok, 3); err != nil || n != 101 {
		t.Fatalf("first message of an old empty chat after loss = %d, %v; want 101", n, err)
	}
	if v, err := nextEdit(ctx, seq, tok, 2, 1); err != nil || v <= 1<<32 {
		t.Fatalf("edit version after loss = %d, %v; want above every version of epoch 0", v, err)
	}
	if n, err := nextChat(ctx, seq, tok); err != nil || n != 101 {
		t.Fatalf("chat after loss = %d, %v; want 101", n, err)
	}
	if n, err := nextMessage(ctx, seq, tok, 101); err != nil || n != 1 {
		t.Fatalf("first message of a new chat = %d, %v; want 1", n, err)
	}
	if _, err := nextMessage(ctx, seq, tok, 102); err == nil {
		t.Fatal("chat 102 was never allocated, yet a message number was handed out")
	}
	// Chats 4..100 are the gap: never handed out, so not found.
	if _, err := nextMessage(ctx, seq, tok, 50); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a chat in the gap: %v, want not found", err)
	}
}

// Numbers handed out but never persisted (queued, or in a worker's hands,
// when Redis lost its data) are never handed out again: a sequence only
// numbers what it reserved in the system of record first.
func TestSequencerNeverReissuesUnpersistedNumbers(t *testing.T) {
	testenv.EachRedis(t, testSequencerNeverReissuesUnpersistedNumbers)
}

func testSequencerNeverReissuesUnpersistedNumbers(t *testing.T, addr string) {
	ctx := context.Background()
	c := client(t, addr)
	seeds := porttest.NewSeeds()
	seq := newSequencer(t, c, seeds, redisadapter.Config{Lease: 4})
	tok := registered(t, seq)
	handed := map[string]bool{}
	note := func(what string, n int64, err error) {
		t.Helper()
		key := fmt.Sprint(what, n)
		if err != nil || handed[key] {
			t.Fatalf("%s %d: %v (handed out before: %v)", what, n, err, handed[key])
		}
		handed[key] = true
	}
	for i := 0; i < 9; i++ {
		n, err := nextChat(ctx, seq, tok)
		note("chat", n, err)
	}
	for i := 0; i < 37; i++ {
		n, err := nextMessage(ctx, seq, tok, 1)
		note("message", n, err)
	}
	// Only chat 1 and none of its messages reached the store.
	seeds.Chats[tok] = 1
	for loss := 0; loss < 2; loss++ {
		loseApplication(t, c, tok)
		for i := 0; i < 5; i++ {
			n, err := nextMessage(ctx, seq, tok, 1)
			note("message", n, err)
			n, err = nextChat(ctx, seq, tok)
			note("chat", n, err)
		}
	}
}

// Many apis meet the lost sequence at once: one fences it (one new epoch),
// the others wait for it, and every number is handed out once.
func TestSequencerOneFenceUnderConcurrency(t *testing.T) {
	testenv.EachRedis(t, testSequencerOneFenceUnderConcurrency)
}

func testSequencerOneFenceUnderConcurrency(t *testing.T, addr string) {
	ctx := context.Background()
	c := client(t, addr)
	topics := ownTopics(t, c)
	seeds := porttest.NewSeeds()
	tok := domain.NewToken()
	seeds.Chats[tok] = 1
	seeds.Messages[domain.ChatKey{Token: tok, Number: 1}] = [2]int64{10, 0}
	const apis, each = 8, 25
	got := make(chan int64, apis*each)
	var wg sync.WaitGroup
	for i := 0; i < apis; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := redisadapter.NewSequencer(c, seeds, redisadapter.Config{Lease: 15, Topics: topics})
			for j := 0; j < each; j++ {
				n, err := nextMessage(ctx, seq, tok, 1)
				if err != nil {
					t.Error(err)
					return
				}
				got <- n
			}
		}()
	}
	wg.Wait()
	close(got)
	seen := map[int64]bool{}
	for n := range got {
		if seen[n] || n <= 15 || n > 15+apis*each {
			t.Fatalf("number %d handed out twice or outside 16..%d", n, 15+apis*each)
		}
		seen[n] = true
	}
	if _, _, epoch, _ := seeds.FenceMessages(ctx, tok, 1, 0); epoch != 2 {
		t.Fatalf("the chat was fenced %d times, want once", epoch-1)
	}
}

// Append allocates and appends in one script: the entry on the stream is
// the event, in Watermill's wire format, under the number it was given.
func TestAppendWritesTheNumberedEvent(t *testing.T) {
	testenv.EachRedis(t, testAppendWritesTheNumberedEvent)
}

func testAppendWritesTheNumberedEvent(t *testing.T, addr string) {
	ctx := context.Background()
	c := client(t, addr)
	topics := eventwire.Topics{Prefix: "seqappend." + testenv.Suffix(), Partitions: 2}
	t.Cleanup(func() {
		for _, tp := range topics.All() {
			c.Do(context.Background(), c.B().Del().Key(tp).Build())
		}
	})
	seq := redisadapter.NewSequencer(c, porttest.NewSeeds(), redisadapter.Config{Topics: topics})
	tok := registered(t, seq)
	at := time.Now().UTC().Truncate(time.Microsecond)
	want := []domain.Event{
		domain.ChatCreated{Token: tok, Number: 1, CreatedAt: at},
		domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: `say "hi" \ é`, CreatedAt: at},
		domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "edited", Version: 1, EditedAt: at},
	}
	drafts := []domain.Event{
		domain.ChatCreated{Token: tok, CreatedAt: at},
		domain.MessageCreated{Token: tok, Chat: 1, Body: `say "hi" \ é`, CreatedAt: at},
		domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "edited", EditedAt: at},
	}
	// The message's request id travels with its event (Watermill's
	// correlation id); the others carry none.
	requests := []string{"", "req-" + testenv.Suffix(), ""}
	for i, d := range drafts {
		got, _, err := seq.Append(ports.WithRequestID(ctx, requests[i]), d, domain.Idempotency{})
		if err != nil || got != want[i] {
			t.Fatalf("Append(%v) = %v, %v; want %v", d, got, err, want[i])
		}
		entries, err := c.Do(ctx, c.B().Xrange().Key(topics.For(tok)).Start("-").End("+").Build()).AsXRange()
		if err != nil || len(entries) == 0 {
			t.Fatalf("stream %s: %v %v", topics.For(tok), entries, err)
		}
		last := entries[len(entries)-1].FieldValues
		values := map[string]any{}
		for k, v := range last {
			values[k] = v
		}
		msg, err := redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(values)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := eventwire.Decode(msg)
		if err != nil || ev != want[i] {
			t.Fatalf("entry decodes to %v, %v; want %v", ev, err, want[i])
		}
		if id := msg.Metadata.Get(eventwire.RequestIDKey); id != requests[i] {
			t.Fatalf("entry %d carries request id %q, want %q", i, id, requests[i])
		}
	}
	if _, _, err := seq.Append(ctx, domain.MessageCreated{Token: tok, Chat: 2, Body: "x", CreatedAt: at}, domain.Idempotency{}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a message in an unallocated chat: %v, want not found", err)
	}
}

// Redis down: allocation fails with an error that maps to 503.
func TestSequencerUnavailable(t *testing.T) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{testenv.RedisAddr(t)}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	seq := redisadapter.NewSequencer(c, porttest.NewSeeds(), redisadapter.Config{})
	c.Close()
	_, err = nextChat(context.Background(), seq, domain.NewToken())
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
}

// A sequence reserves as many again as it handed out, up to eight leases:
// the gap a re-seed leaves stays within eight leases however long the chat.
func TestReservationGrowthIsCapped(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := client(t, addr)
		seeds := porttest.NewSeeds()
		const lease = 4
		seq := newSequencer(t, c, seeds, redisadapter.Config{Lease: lease, HistoryCheck: true})
		tok := registered(t, seq)
		if n, err := nextChat(ctx, seq, tok); err != nil || n != 1 {
			t.Fatalf("chat: %d, %v", n, err)
		}
		seeds.Chats[tok] = 1
		for i := int64(1); i <= 300; i++ {
			if n, err := nextMessage(ctx, seq, tok, 1); err != nil || n != i {
				t.Fatalf("message %d: %d, %v", i, n, err)
			}
		}
		reserved := seeds.Reserved[fmt.Sprint(domain.ChatKey{Token: tok, Number: 1})]
		if reserved < 300 || reserved > 300+8*lease {
			t.Fatalf("after 300 numbers, %d reserved; want at most eight leases ahead", reserved)
		}
		loseApplication(t, c, tok)
		if n, err := nextMessage(ctx, seq, tok, 1); err != nil || n <= 300 || n > 301+8*lease {
			t.Fatalf("after the loss: %d, %v; want above 300 and within eight leases", n, err)
		}
	})
}
