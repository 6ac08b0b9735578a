package application

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// LiveConfig bounds the live streams of one api instance.
type LiveConfig struct {
	MaxStreams int // on this instance (0: 10,000)
	MaxPerApp  int // of one application on this instance (0: 100)
	// Buffer is how many events a stream may have waiting for its client;
	// a client that falls further behind is dropped (it reconnects and
	// resumes from its last position). 0: 32.
	Buffer int
	// HoleWait: how long a long poll waits for a number that later ones
	// passed before it reports it as a gap (0: 3 s).
	HoleWait time.Duration
}

// LiveHooks hear what the live streams do (metrics); any may be nil.
type LiveHooks struct {
	Opened, Closed, Dropped func()
	Delivered               func()
}

// Live serves the chats' live streams: it tails the event log once per
// instance and fans each event out to the streams of its chat, so that a
// client connected here receives what any instance created, with no round
// trip per client. A stream resumes after a position by reading the chat's
// part of the log first.
type Live struct {
	log      ports.LiveLog
	chats    ports.ChatReader
	messages ports.MessageReader
	numbers  ports.MessageNumbers
	cfg      LiveConfig
	hooks    LiveHooks
	// users' streams (userlive.go), when EnableUsers was called
	notices ports.Notices
	members ports.MemberStore

	mu     sync.Mutex
	subs   map[domain.ChatKey]map[*Stream]struct{}
	perApp map[domain.Token]int
	total  int
	closed bool
	users  users
}

// ErrStreamEnded: the stream was dropped (its client fell behind) or the
// instance is shutting down; the client reconnects and resumes.
var ErrStreamEnded = errors.New("live stream ended")

func NewLive(log ports.LiveLog, chats ports.ChatReader, messages ports.MessageReader, numbers ports.MessageNumbers, cfg LiveConfig, hooks LiveHooks) *Live {
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = 10_000
	}
	if cfg.MaxPerApp <= 0 {
		cfg.MaxPerApp = 100
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 32
	}
	if cfg.HoleWait <= 0 {
		cfg.HoleWait = 3 * time.Second
	}
	nop := func() {}
	for _, h := range []*func(){&hooks.Opened, &hooks.Closed, &hooks.Dropped, &hooks.Delivered} {
		if *h == nil {
			*h = nop
		}
	}
	return &Live{log: log, chats: chats, messages: messages, numbers: numbers, cfg: cfg, hooks: hooks,
		subs: map[domain.ChatKey]map[*Stream]struct{}{}, perApp: map[domain.Token]int{}, users: newUsers()}
}

// Run tails the log (and, for users' streams, listens to the notices)
// until ctx ends, starting again after a failure.
func (l *Live) Run(ctx context.Context, onErr func(error)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	if l.notices != nil {
		wg.Go(func() { l.listen(ctx, onErr) })
	}
	again(ctx, onErr, func() error { return l.log.Tail(ctx, l.dispatch) })
}

// again runs fn until ctx ends, a second after each return (an error is
// reported to onErr).
func again(ctx context.Context, onErr func(error), fn func() error) {
	for ctx.Err() == nil {
		err := fn()
		if ctx.Err() != nil {
			return
		}
		if err != nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (l *Live) dispatch(e domain.LiveEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	chat := e.Chat()
	l.users.tailed(chat.Token, e.Position)
	for s := range l.subs[chat] {
		l.offer(s, item{LiveEvent: e})
	}
}

// offer hands the stream an item; l.mu is held.
func (l *Live) offer(s *Stream, it item) {
	select {
	case s.live <- it:
		l.hooks.Delivered()
	default: // its client fell behind: drop it rather than hold memory
		l.remove(s)
		l.hooks.Dropped()
	}
}

// item is what the hub hands a stream: an event, and with a user's own
// join of a chat, what of the chat the stream reads back.
type item struct {
	domain.LiveEvent
	join *join
}

// Stream is one client's live stream of a chat, or a user's of all
// their chats (FollowUser).
type Stream struct {
	hub    *Live
	chat   domain.ChatKey // a user's stream: the application's (Number 0)
	user   userStream
	live   chan item
	ended  chan struct{}
	once   sync.Once
	replay []domain.LiveEvent
	// Reset says the position asked for was gone: the client reloads, and
	// the stream follows from now.
	Reset bool
	last  string // position of the last event handed out
	// lastCreated is the last message number handed out, to report the
	// numbers a fenced sequence skipped.
	lastCreated int64
	held        *domain.LiveEvent
}

// ValidPosition says whether s is a position of the event log (the form of
// an event's id), kept or not.
func (l *Live) ValidPosition(s string) bool { return l.log.Valid(s) }

// Follow opens a live stream of the chat, after the position after ("":
// from now).
func (l *Live) Follow(ctx context.Context, path ChatPath, after string) (*Stream, error) {
	token, number, err := path.parse()
	if err != nil {
		return nil, err
	}
	if after != "" && !l.log.Valid(after) {
		return nil, &domain.MalformedError{Reason: "Last-Event-ID (or after) is not a position of this stream"}
	}
	if err := l.chats.ChatExists(ctx, token, number); err != nil {
		return nil, err
	}
	chat := domain.ChatKey{Token: token, Number: number}
	s := &Stream{hub: l, chat: chat, live: make(chan item, l.cfg.Buffer), ended: make(chan struct{}), last: after}
	// Registered before the log is read back, so nothing appended in
	// between is missed; what both give is handed out once (by position).
	if err := l.add(s); err != nil {
		return nil, err
	}
	if after != "" {
		s.replay, err = l.log.Since(ctx, chat, after)
		if errors.Is(err, domain.ErrPositionGone) {
			s.Reset, s.last, err = true, "", nil
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (l *Live) add(s *Stream) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return domain.Unavailable("live streams", ErrStreamEnded)
	case l.total >= l.cfg.MaxStreams, l.perApp[s.chat.Token] >= l.cfg.MaxPerApp:
		return domain.ErrTooManyStreams
	}
	if s.user.id != "" {
		l.users.add(s)
	} else {
		l.subscribe(s, s.chat)
	}
	l.perApp[s.chat.Token]++
	l.total++
	l.hooks.Opened()
	return nil
}

func (l *Live) subscribe(s *Stream, chat domain.ChatKey) {
	if l.subs[chat] == nil {
		l.subs[chat] = map[*Stream]struct{}{}
	}
	l.subs[chat][s] = struct{}{}
}

func (l *Live) unsubscribe(s *Stream, chat domain.ChatKey) {
	delete(l.subs[chat], s)
	if len(l.subs[chat]) == 0 {
		delete(l.subs, chat)
	}
}

// remove ends s; l.mu is held.
func (l *Live) remove(s *Stream) {
	if s.user.id != "" {
		if !l.users.remove(s) {
			return
		}
		for c := range s.user.followed {
			l.unsubscribe(s, domain.ChatKey{Token: s.chat.Token, Number: c})
		}
	} else {
		if _, ok := l.subs[s.chat][s]; !ok {
			return
		}
		l.unsubscribe(s, s.chat)
	}
	if l.perApp[s.chat.Token]--; l.perApp[s.chat.Token] == 0 {
		delete(l.perApp, s.chat.Token)
	}
	l.total--
	l.hooks.Closed()
	s.once.Do(func() { close(s.ended) })
}

// Close ends every stream (the instance is stopping: clients reconnect
// elsewhere) and refuses new ones.
func (l *Live) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, subs := range l.subs {
		for s := range subs {
			l.remove(s)
		}
	}
	l.users.each(l.remove)
}

// Close ends the stream.
func (s *Stream) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s)
}

// Next waits up to wait for the stream's next event: the events read back
// from the log first, then the live ones, each once, in log order, with a
// gap reported before a number that skipped others. ok is false when wait
// passed with nothing (time for a heartbeat); ErrStreamEnded when the
// stream was dropped or the instance is stopping.
func (s *Stream) Next(ctx context.Context, wait time.Duration) (e domain.LiveEvent, ok bool, err error) {
	if s.user.id != "" {
		return s.nextOfUser(ctx, wait)
	}
	if s.held != nil {
		e, s.held = *s.held, nil
		return s.handOut(e), true, nil
	}
	for {
		e, ok, dup, err := s.pull(ctx, wait)
		if !ok {
			return e, false, err
		}
		if dup {
			continue
		}
		if c, isCreate := e.Event.(domain.MessageCreated); isCreate && s.lastCreated > 0 && c.Number > s.lastCreated+1 {
			held := e
			s.held = &held
			return domain.LiveEvent{GapFrom: s.lastCreated + 1, GapTo: c.Number - 1}, true, nil
		}
		return s.handOut(e), true, nil
	}
}

// pull is the stream's next event: what was read back first, then what
// the hub hands over (a join queues what it reads back, after its
// notice). dup: an event of the log not past the last handed out, read
// back already.
func (s *Stream) pull(ctx context.Context, wait time.Duration) (e domain.LiveEvent, ok, dup bool, err error) {
	if len(s.replay) > 0 {
		e, s.replay = s.replay[0], s.replay[1:]
		return e, true, false, nil
	}
	it, ok, err := s.receive(ctx, wait)
	if !ok {
		return e, false, false, err
	}
	if it.join != nil {
		s.replay = s.readBack(ctx, it.join)
	}
	e = it.LiveEvent
	return e, true, e.Notice == nil && s.last != "" && !s.hub.log.Before(s.last, e.Position), nil
}

// receive waits up to wait for what the hub hands the stream.
func (s *Stream) receive(ctx context.Context, wait time.Duration) (item, bool, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case it := <-s.live:
		return it, true, nil
	case <-s.ended:
		return item{}, false, ErrStreamEnded
	case <-ctx.Done():
		return item{}, false, ctx.Err()
	case <-timer.C:
		return item{}, false, nil
	}
}

func (s *Stream) handOut(e domain.LiveEvent) domain.LiveEvent {
	if e.Position != "" {
		s.last = e.Position
	}
	if c, isCreate := e.Event.(domain.MessageCreated); isCreate {
		s.lastCreated = c.Number
	}
	return e
}
