package application

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// A user's stream carries every chat they are a member of, in the order of
// the event log: all of an application's events share one order (one
// partition of the streams; the embedded log is one sequence), so one
// position resumes them all. Besides the chats' events it carries notices
// (ports.Notices: typing, read positions, membership changes), which have
// no position and are not resumed. It follows membership while open: the
// hub subscribes it to a chat on the user's own member.added notice and
// unsubscribes it on member.removed, which is thereby the chat's last
// event on it.
//
// A join is heard over pub/sub while the chat's events come through the
// log, so some of them may have been handed out (to other streams) before
// the notice arrived. The notice carries where the log stood once the
// join was committed; the hub notes where its tail stood when the stream
// subscribed (the cut); the stream reads the chat's events between the
// two back from the log. They may be older than events it already wrote:
// a user's stream therefore writes, as each event's id, the furthest
// position it has written so far, so that a client resuming from its last
// id is given exactly what it was not.

// userKey names a user of an application.
type userKey struct {
	app  domain.Token
	user domain.UserID
}

// userStream is what a user's stream has more than a chat's. followed and
// left belong to the hub (l.mu); the rest to the stream's reader.
type userStream struct {
	id     domain.UserID
	within []int64 // the token's chats; nil: all
	// followed are the chats the hub hands the stream events of.
	followed map[int64]bool
	// left are the chats the user left since the stream opened: the
	// members read from the store at its opening may predate the removal.
	left map[int64]bool
	// handed is, by chat, the position of the last event handed out: what
	// a join reads back (which may overlap what the stream read back at
	// its opening, when the join came meanwhile) is handed out once.
	handed map[int64]string
}

// join is a user's own join of a chat, for their stream to read back the
// chat's events the log took between the change (from) and the moment the
// stream was subscribed (cut).
type join struct {
	chat      domain.ChatKey
	from, cut string
}

// users are the users' streams of an instance; the hub's lock holds.
type users struct {
	streams map[userKey]map[*Stream]struct{}
	// tailedAt is, for each application with users' streams here, the
	// position of its last event the tail handed out.
	tailedAt map[domain.Token]string
	apps     map[domain.Token]int
	// listening is closed while the notices are listened to.
	listening chan struct{}
	heard     bool
}

func newUsers() users {
	return users{streams: map[userKey]map[*Stream]struct{}{}, tailedAt: map[domain.Token]string{},
		apps: map[domain.Token]int{}, listening: make(chan struct{})}
}

func (u *users) tailed(app domain.Token, position string) {
	if u.apps[app] > 0 {
		u.tailedAt[app] = position
	}
}

func (u *users) add(s *Stream) {
	k := userKey{s.chat.Token, s.user.id}
	if u.streams[k] == nil {
		u.streams[k] = map[*Stream]struct{}{}
	}
	u.streams[k][s] = struct{}{}
	u.apps[s.chat.Token]++
}

func (u *users) remove(s *Stream) bool {
	k := userKey{s.chat.Token, s.user.id}
	if _, ok := u.streams[k][s]; !ok {
		return false
	}
	delete(u.streams[k], s)
	if len(u.streams[k]) == 0 {
		delete(u.streams, k)
	}
	if u.apps[k.app]--; u.apps[k.app] == 0 {
		delete(u.apps, k.app)
		delete(u.tailedAt, k.app)
	}
	return true
}

func (u *users) each(fn func(*Stream)) {
	for _, streams := range u.streams {
		for s := range streams {
			fn(s)
		}
	}
}

// EnableUsers lets the hub serve users' streams (FollowUser): notices
// reach them, and their chats are read from members.
func (l *Live) EnableUsers(notices ports.Notices, members ports.MemberStore) {
	l.notices, l.members = notices, members
}

// listen hands the notices to the users' streams until ctx ends. While
// not listening (starting, or after the subscription broke) users'
// streams are not opened; those open when it broke end, since they may
// have missed a notice: their clients resume from the log.
func (l *Live) listen(ctx context.Context, onErr func(error)) {
	again(ctx, onErr, func() error {
		err := l.notices.Listen(ctx, l.heard, l.dispatchNotice)
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.users.heard {
			l.users.heard, l.users.listening = false, make(chan struct{})
		}
		l.users.each(l.remove)
		return err
	})
}

func (l *Live) heard() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.users.heard {
		l.users.heard = true
		close(l.users.listening)
	}
}

// dispatchNotice routes a notice: typing to the chat's other members'
// streams, read.updated to the user's own, a membership change to both
// (the user's own streams start or stop following the chat).
func (l *Live) dispatchNotice(n domain.Notice) {
	l.mu.Lock()
	defer l.mu.Unlock()
	chat := domain.ChatKey{Token: n.App, Number: n.Chat}
	it := item{LiveEvent: domain.LiveEvent{Notice: &n}}
	if n.Kind != domain.NoticeReadUpdated {
		for s := range l.subs[chat] {
			if s.user.id != "" && s.user.id != n.User {
				l.offer(s, it)
			}
		}
	}
	if n.Kind == domain.NoticeTyping {
		return
	}
	for s := range l.users.streams[userKey{n.App, n.User}] {
		own := it
		switch n.Kind {
		case domain.NoticeMemberAdded:
			delete(s.user.left, n.Chat)
			if l.follow(s, n.Chat) && n.Position != "" {
				cut := l.users.tailedAt[n.App]
				if cut == "" || l.log.Before(cut, n.Position) {
					cut = n.Position
				}
				own.join = &join{chat: chat, from: n.Position, cut: cut}
			}
		case domain.NoticeMemberRemoved:
			s.user.left[n.Chat] = true
			if s.user.followed[n.Chat] {
				delete(s.user.followed, n.Chat)
				l.unsubscribe(s, chat)
			}
		}
		l.offer(s, own)
	}
}

// follow subscribes a user's stream to one of their chats (within their
// token's); false when it was already, or may not be.
func (l *Live) follow(s *Stream, chat int64) bool {
	if s.user.followed[chat] || (s.user.within != nil && !slices.Contains(s.user.within, chat)) {
		return false
	}
	s.user.followed[chat] = true
	l.subscribe(s, domain.ChatKey{Token: s.chat.Token, Number: chat})
	return true
}

// FollowUser opens the caller's stream of all their chats, after the
// position after ("": from now).
func (l *Live) FollowUser(ctx context.Context, caller domain.Caller, after string) (*Stream, error) {
	if caller.IsApp() {
		return nil, domain.ErrForbidden // a user's stream is a user's
	}
	if l.notices == nil {
		return nil, domain.Unavailable("live streams", errors.New("users' streams are not served by this instance"))
	}
	if after != "" && !l.log.Valid(after) {
		return nil, &domain.MalformedError{Reason: "Last-Event-ID (or after) is not a position of this stream"}
	}
	l.mu.Lock()
	listening := l.users.listening
	l.mu.Unlock()
	select {
	case <-listening:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(5 * time.Second):
		return nil, domain.Unavailable("live streams", errors.New("not listening to notices"))
	}
	s := &Stream{hub: l, chat: domain.ChatKey{Token: caller.App}, live: make(chan item, l.cfg.Buffer), ended: make(chan struct{}),
		user: userStream{id: caller.User, within: caller.Chats, followed: map[int64]bool{}, left: map[int64]bool{}, handed: map[int64]string{}}}
	// Registered first, so that a membership change made meanwhile is
	// heard; subscribed to the chats, then the log read back from where
	// the client stopped (or from now), so that nothing is missed between.
	if err := l.add(s); err != nil {
		return nil, err
	}
	if err := l.openUser(ctx, s, caller, after); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (l *Live) openUser(ctx context.Context, s *Stream, caller domain.Caller, after string) error {
	from := after
	if from == "" {
		head, err := l.log.Head(ctx, caller.App)
		if err != nil {
			return err
		}
		from = head
	}
	chats, err := l.memberChats(ctx, caller)
	if err != nil {
		return err
	}
	l.mu.Lock()
	for _, c := range chats {
		if !s.user.left[c] {
			l.follow(s, c)
		}
	}
	l.mu.Unlock()
	back, err := l.log.Since(ctx, s.chat, from)
	if errors.Is(err, domain.ErrPositionGone) {
		s.Reset = true
		if from, err = l.log.Head(ctx, caller.App); err == nil {
			back, err = l.log.Since(ctx, s.chat, from)
		}
	}
	if err != nil {
		return err
	}
	s.last = from
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range back {
		if s.user.followed[e.Chat().Number] {
			s.replay = append(s.replay, e)
		}
	}
	return nil
}

// memberChats are all of the caller's chats (within their token's).
func (l *Live) memberChats(ctx context.Context, caller domain.Caller) ([]int64, error) {
	var out []int64
	page := domain.PageRequest[int64]{Limit: 500}
	for {
		p, err := l.members.MemberChats(ctx, caller.App, caller.User, caller.Chats, page)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if !p.HasMore || len(p.Items) == 0 {
			return out, nil
		}
		page.After = p.Items[len(p.Items)-1]
	}
}

// nextOfUser is Next for a user's stream: events read back first, then
// what the hub hands over, an event that is not past the furthest written
// skipped as written already, and each event's position the furthest
// written (see above). Numbers skipped by a fenced sequence are not
// reported here (a chat's stream does).
func (s *Stream) nextOfUser(ctx context.Context, wait time.Duration) (domain.LiveEvent, bool, error) {
	for {
		e, ok, dup, err := s.pull(ctx, wait)
		switch {
		case !ok:
			return e, false, err
		case dup:
			continue
		case e.Notice != nil:
			return e, true, nil
		}
		s.user.handed[e.Chat().Number] = e.Position
		if s.last == "" || s.hub.log.Before(s.last, e.Position) {
			s.last = e.Position
		}
		e.Position = s.last
		return e, true, nil
	}
}

// readBack is the joined chat's events after the change up to the cut
// (the later ones the hub hands over). A log that cannot be read loses
// them: the stream goes on, as a stream does after its tail's failure.
func (s *Stream) readBack(ctx context.Context, j *join) []domain.LiveEvent {
	events, err := s.hub.log.Since(ctx, j.chat, j.from)
	if err != nil {
		return nil
	}
	handed := s.user.handed[j.chat.Number]
	var out []domain.LiveEvent
	for _, e := range events {
		if s.hub.log.Before(j.cut, e.Position) {
			break
		}
		if handed == "" || s.hub.log.Before(handed, e.Position) {
			out = append(out, e)
		}
	}
	return out
}

// Typing tells the chat's other members' streams, on every instance, that
// the caller is typing there (the caller's right to was checked: Members.MayType).
func (l *Live) Typing(ctx context.Context, caller domain.Caller, chat int64) error {
	if l.notices == nil {
		return domain.Unavailable("live streams", errors.New("notices are not served by this instance"))
	}
	return l.notices.Publish(ctx, domain.Notice{Kind: domain.NoticeTyping, App: caller.App, Chat: chat, User: caller.User, At: time.Now()})
}
