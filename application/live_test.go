package application_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
)

// memLog is a ports.LiveLog in memory: positions are zero-padded counters.
type memLog struct {
	mu      sync.Mutex
	events  []domain.LiveEvent
	oldest  int // positions at or below were trimmed
	tailers []func(domain.LiveEvent)
	tailing chan struct{}
}

func newMemLog() *memLog { return &memLog{tailing: make(chan struct{})} }

func (m *memLog) append(e domain.Event) domain.LiveEvent {
	m.mu.Lock()
	le := domain.LiveEvent{Position: fmt.Sprintf("%08d", len(m.events)+1), Event: e}
	m.events = append(m.events, le)
	tailers := append([]func(domain.LiveEvent){}, m.tailers...)
	m.mu.Unlock()
	for _, fn := range tailers {
		fn(le)
	}
	return le
}

func (m *memLog) Tail(ctx context.Context, fn func(domain.LiveEvent)) error {
	m.mu.Lock()
	m.tailers = append(m.tailers, fn)
	m.mu.Unlock()
	close(m.tailing)
	<-ctx.Done()
	return nil
}

func (m *memLog) Creation(context.Context, domain.ChatKey, int64) (domain.MessageCreated, bool, error) {
	return domain.MessageCreated{}, false, nil
}

func (m *memLog) Since(_ context.Context, chat domain.ChatKey, after string) ([]domain.LiveEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if after <= fmt.Sprintf("%08d", m.oldest) && m.oldest > 0 {
		return nil, domain.ErrPositionGone
	}
	var out []domain.LiveEvent
	for _, e := range m.events {
		if c := e.Chat(); e.Position > after && (c == chat || (chat.Number == 0 && c.Token == chat.Token)) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memLog) Head(context.Context, domain.Token) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("%08d", len(m.events)), nil
}

func (m *memLog) Before(a, b string) bool { return a < b }
func (m *memLog) Valid(s string) bool     { return len(s) == 8 }

// chatsOf says every chat exists except number 404.
type chatsOf struct{}

func (chatsOf) ChatExists(_ context.Context, _ domain.Token, n int64) error {
	if n == 404 {
		return domain.ErrNotFound
	}
	return nil
}
func (chatsOf) Chat(context.Context, domain.Token, int64) (domain.Chat, error) {
	return domain.Chat{}, nil
}
func (chatsOf) Chats(context.Context, domain.Token, domain.PageRequest[int64]) (domain.Page[domain.Chat], error) {
	return domain.Page[domain.Chat]{}, nil
}

type liveFixture struct {
	log  *memLog
	live *application.Live
	tok  domain.Token
	n    map[string]int
	mu   sync.Mutex
}

func newLiveFixture(t *testing.T, cfg application.LiveConfig) *liveFixture {
	f := &liveFixture{log: newMemLog(), tok: domain.NewToken(), n: map[string]int{}}
	count := func(k string) func() {
		return func() { f.mu.Lock(); f.n[k]++; f.mu.Unlock() }
	}
	f.live = application.NewLive(f.log, chatsOf{}, nil, nil, cfg, application.LiveHooks{
		Opened: count("opened"), Closed: count("closed"), Dropped: count("dropped"), Delivered: count("delivered")})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.live.Run(ctx, nil); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-f.log.tailing
	return f
}

func (f *liveFixture) created(chat, n int64) domain.LiveEvent {
	return f.log.append(domain.MessageCreated{Token: f.tok, Chat: chat, Number: n, Body: fmt.Sprint("m", n)})
}

func (f *liveFixture) follow(t *testing.T, chat int64, after string) *application.Stream {
	t.Helper()
	s, err := f.live.Follow(context.Background(), application.ChatPath{Token: string(f.tok), Chat: fmt.Sprint(chat)}, after)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// nextN describes the stream's next n events: "[created 1 gap 2-3]".
func nextN(t *testing.T, s *application.Stream, n int) string {
	t.Helper()
	got := make([]string, n)
	for i := range got {
		got[i] = next(t, s)
	}
	return fmt.Sprint(got)
}

// next describes the stream's next event: "created 3", "edited 2", "gap 2-3".
func next(t *testing.T, s *application.Stream) string {
	t.Helper()
	e, ok, err := s.Next(context.Background(), 2*time.Second)
	if err != nil || !ok {
		t.Fatalf("no event: ok %v, %v", ok, err)
	}
	switch ev := e.Event.(type) {
	case nil:
		return fmt.Sprintf("gap %d-%d", e.GapFrom, e.GapTo)
	case domain.MessageCreated:
		return fmt.Sprint("created ", ev.Number)
	case domain.MessageEdited:
		return fmt.Sprint("edited ", ev.Number)
	case domain.MessageDeleted:
		return fmt.Sprint("deleted ", ev.Number)
	}
	return "?"
}

func TestLiveDeliversEachChatsEventsInOrder(t *testing.T) {
	f := newLiveFixture(t, application.LiveConfig{})
	a1, a2, other := f.follow(t, 1, ""), f.follow(t, 1, ""), f.follow(t, 2, "")
	f.created(1, 1)
	f.created(2, 1)
	f.log.append(domain.MessageEdited{Token: f.tok, Chat: 1, Number: 1, Body: "e", Version: 7})
	f.created(1, 2)
	f.log.append(domain.MessageDeleted{Token: f.tok, Chat: 1, Number: 1, Version: 8})
	// Another application's chat 1 is not this one's.
	f.log.append(domain.MessageCreated{Token: domain.NewToken(), Chat: 1, Number: 3})
	for _, s := range []*application.Stream{a1, a2} {
		if got := nextN(t, s, 4); got != "[created 1 edited 1 created 2 deleted 1]" {
			t.Fatalf("chat 1: %v", got)
		}
		if _, ok, err := s.Next(context.Background(), 50*time.Millisecond); ok || err != nil {
			t.Fatal("another application's event reached this chat's stream")
		}
	}
	if got := next(t, other); got != "created 1" {
		t.Fatalf("chat 2: %s", got)
	}
}

func TestLiveResumesAfterAPositionOnceEach(t *testing.T) {
	f := newLiveFixture(t, application.LiveConfig{})
	first := f.created(1, 1)
	f.created(1, 2)
	f.created(1, 3)
	s := f.follow(t, 1, first.Position)
	f.created(1, 4)
	if got := nextN(t, s, 3); got != "[created 2 created 3 created 4]" {
		t.Fatalf("resumed: %v", got)
	}
	if _, ok, _ := s.Next(context.Background(), 50*time.Millisecond); ok {
		t.Fatal("an event was handed out twice")
	}
	f.log.oldest = 2
	if r := f.follow(t, 1, first.Position); !r.Reset {
		t.Fatal("a position the log no longer reaches was not reported")
	}
}

func TestLiveReportsSkippedNumbers(t *testing.T) {
	f := newLiveFixture(t, application.LiveConfig{})
	s := f.follow(t, 1, "")
	f.created(1, 1)
	f.created(1, 4) // 2 and 3 were handed out before the sequencer lost its state
	f.created(1, 5)
	if got := nextN(t, s, 4); got != "[created 1 gap 2-3 created 4 created 5]" {
		t.Fatalf("%v", got)
	}
}

func TestLiveDropsASlowClientAndBoundsStreams(t *testing.T) {
	f := newLiveFixture(t, application.LiveConfig{Buffer: 2, MaxPerApp: 2, MaxStreams: 3})
	slow := f.follow(t, 1, "")
	for n := int64(1); n <= 3; n++ {
		f.created(1, n)
	}
	ended := false
	for range 4 {
		if _, _, err := slow.Next(context.Background(), 50*time.Millisecond); errors.Is(err, application.ErrStreamEnded) {
			ended = true
			break
		}
	}
	if !ended || f.n["dropped"] != 1 {
		t.Fatalf("a client 3 events behind with room for 2 was not dropped (dropped %d)", f.n["dropped"])
	}
	f.follow(t, 1, "")
	f.follow(t, 2, "")
	if _, err := f.live.Follow(context.Background(), application.ChatPath{Token: string(f.tok), Chat: "3"}, ""); !errors.Is(err, domain.ErrTooManyStreams) {
		t.Fatalf("a third stream of one application: %v", err)
	}
	other := domain.NewToken()
	s, err := f.live.Follow(context.Background(), application.ChatPath{Token: string(other), Chat: "1"}, "")
	if err != nil {
		t.Fatalf("another application's stream: %v", err)
	}
	defer s.Close()
	if _, err := f.live.Follow(context.Background(), application.ChatPath{Token: string(domain.NewToken()), Chat: "1"}, ""); !errors.Is(err, domain.ErrTooManyStreams) {
		t.Fatalf("a fourth stream on an instance capped at 3: %v", err)
	}
	for _, c := range []struct{ chat, after string }{{"404", ""}, {"x", ""}, {"1", "not-a-position"}} {
		if _, err := f.live.Follow(context.Background(), application.ChatPath{Token: string(f.tok), Chat: c.chat}, c.after); err == nil {
			t.Fatalf("chat %q after %q was followed", c.chat, c.after)
		}
	}
	f.live.Close()
	if _, _, err := s.Next(context.Background(), time.Second); !errors.Is(err, application.ErrStreamEnded) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := f.live.Follow(context.Background(), application.ChatPath{Token: string(other), Chat: "2"}, ""); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("a stream opened while stopping: %v", err)
	}
	if f.n["opened"] != f.n["closed"] {
		t.Fatalf("%d opened, %d closed", f.n["opened"], f.n["closed"])
	}
}

// takenNumbers is a ports.MessageNumbers and MessageReader over a settable
// list of persisted numbers.
type takenNumbers struct {
	mu    sync.Mutex
	taken []int64
	next  func() // run once, after the next TakenNumbers answered
}

func (n *takenNumbers) set(taken ...int64) { n.mu.Lock(); n.taken = taken; n.mu.Unlock() }

// afterNextAsk runs f once the next reader of the numbers has its answer:
// what f changes, that reader has not seen.
func (n *takenNumbers) afterNextAsk(f func()) { n.mu.Lock(); n.next = f; n.mu.Unlock() }

func (n *takenNumbers) TakenNumbers(_ context.Context, _ domain.Token, _, after int64, limit int) ([]int64, error) {
	n.mu.Lock()
	var out []int64
	for _, x := range n.taken {
		if x > after && len(out) < limit {
			out = append(out, x)
		}
	}
	next := n.next
	n.next = nil
	n.mu.Unlock()
	if next != nil {
		next()
	}
	return out, nil
}

func (n *takenNumbers) Message(context.Context, domain.Token, int64, int64) (domain.Message, error) {
	return domain.Message{}, domain.ErrNotFound
}

func (n *takenNumbers) Messages(_ context.Context, _ domain.Token, _ int64, p domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	taken, _ := n.TakenNumbers(context.Background(), "", 0, p.After, 1000)
	var out []domain.Message
	for _, x := range taken {
		if x < p.Before {
			out = append(out, domain.Message{Number: x})
		}
	}
	return domain.TrimPage(out, p.Limit), nil
}

func (n *takenNumbers) Replies(context.Context, domain.Token, int64, int64, domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	return domain.Page[domain.Message]{}, nil
}

func waited(w application.Waited) string {
	var nums []int64
	for _, m := range w.Page.Items {
		nums = append(nums, m.Number)
	}
	return fmt.Sprintf("%v through %d gaps %v", nums, w.Through, w.Gaps)
}

// The long poll never skips a number persisted late: it waits for it, and
// reports one that never comes as a gap after HoleWait.
func TestLongPollSkipsNothing(t *testing.T) {
	log := newMemLog()
	nums := &takenNumbers{}
	live := application.NewLive(log, chatsOf{}, nums, nums, application.LiveConfig{HoleWait: 300 * time.Millisecond}, application.LiveHooks{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go live.Run(ctx, nil)
	<-log.tailing
	tok := domain.NewToken()
	path := application.ChatPath{Token: string(tok), Chat: "1"}
	wait := func(after int64, limit int, d time.Duration) string {
		t.Helper()
		w, err := live.WaitMessages(ctx, path, after, limit, d)
		if err != nil {
			t.Fatal(err)
		}
		return waited(w)
	}
	nums.set(1, 2, 4)
	if got := wait(0, 50, time.Second); got != "[1 2] through 2 gaps []" {
		t.Fatalf("at once, up to the hole: %s", got)
	}
	if got := wait(0, 1, time.Second); got != "[1] through 1 gaps []" {
		t.Fatalf("a page shorter than what is there: %s", got)
	}
	// 3 is on its way: persisted within the hole wait, once the wait saw the hole, it is answered.
	nums.afterNextAsk(func() { nums.set(1, 2, 3, 4) })
	if got := wait(2, 50, 5*time.Second); got != "[3 4] through 4 gaps []" {
		t.Fatalf("the late number: %s", got)
	}
	// 6 never comes: reported as a gap.
	nums.set(1, 2, 3, 4, 7)
	if got := wait(4, 50, 5*time.Second); got != "[7] through 7 gaps [[5 6]]" {
		t.Fatalf("the number that never came: %s", got)
	}
	// Nothing after: an empty answer when the wait ends; a create wakes it.
	if got := wait(7, 50, 200*time.Millisecond); got != "[] through 7 gaps []" {
		t.Fatalf("nothing new: %s", got)
	}
	nums.afterNextAsk(func() {
		nums.set(1, 2, 3, 4, 7, 8)
		log.append(domain.MessageCreated{Token: tok, Chat: 1, Number: 8})
	})
	if got := wait(7, 50, 5*time.Second); got != "[8] through 8 gaps []" {
		t.Fatalf("woken by a create: %s", got)
	}
}
