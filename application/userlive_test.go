package application_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// syncNotices is a ports.Notices that hands a notice to the listener as it
// is published.
type syncNotices struct {
	mu    sync.Mutex
	fn    func(domain.Notice)
	broke chan error // a subscription that breaks: Listen returns what is sent
}

func (n *syncNotices) Publish(_ context.Context, x domain.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.fn(x)
	return nil
}

func (n *syncNotices) Listen(ctx context.Context, ready func(), fn func(domain.Notice)) error {
	n.mu.Lock()
	n.fn = fn
	n.mu.Unlock()
	ready()
	select {
	case <-ctx.Done():
		return nil
	case err := <-n.broke:
		return err
	}
}

// chatsOfUsers is a ports.MemberStore that knows only who is in which chat.
type chatsOfUsers struct {
	ports.MemberStore
	chats   map[domain.UserID][]int64
	reading func(domain.UserID) // if not nil, called as a user's chats are read
}

func (m chatsOfUsers) MemberChats(_ context.Context, _ domain.Token, user domain.UserID, _ []int64, _ domain.PageRequest[int64]) (domain.Page[int64], error) {
	if m.reading != nil {
		m.reading(user)
	}
	return domain.Page[int64]{Items: m.chats[user]}, nil
}

func newUserFixture(t *testing.T, chats map[domain.UserID][]int64, reading ...func(domain.UserID)) (*memLog, *application.Live, *syncNotices, domain.Token) {
	log, notices := newMemLog(), &syncNotices{broke: make(chan error)}
	live := application.NewLive(log, chatsOf{}, nil, nil, application.LiveConfig{}, application.LiveHooks{})
	store := chatsOfUsers{chats: chats}
	if len(reading) > 0 {
		store.reading = reading[0]
	}
	live.EnableUsers(notices, store)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { live.Run(ctx, nil); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-log.tailing
	return log, live, notices, domain.NewToken()
}

func followUser(t *testing.T, live *application.Live, tok domain.Token, user domain.UserID, after string) *application.Stream {
	t.Helper()
	s, err := live.FollowUser(context.Background(), domain.Caller{App: tok, User: user, Scope: domain.ScopeWrite}, after)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// userNext describes a user's stream's next events: "1/2@00000003" (chat,
// number, id), "member.added 2", "typing 1 bob".
func userNext(t *testing.T, s *application.Stream, n int) []string {
	t.Helper()
	var out []string
	for range n {
		e, ok, err := s.Next(context.Background(), 2*time.Second)
		if err != nil || !ok {
			t.Fatalf("after %v: no event: ok %v, %v", out, ok, err)
		}
		if x := e.Notice; x != nil {
			out = append(out, fmt.Sprintf("%s %d %s", x.Kind, x.Chat, x.User))
			continue
		}
		c := e.Event.(domain.MessageCreated)
		out = append(out, fmt.Sprintf("%d/%d@%s", c.Chat, c.Number, e.Position))
	}
	return out
}

func TestUserStreamReadsAJoinedChatBackAndNeverGoesBackInIds(t *testing.T) {
	members := map[domain.UserID][]int64{"ann": {1}}
	log, live, notices, tok := newUserFixture(t, members)
	created := func(chat, n int64) { log.append(domain.MessageCreated{Token: tok, Chat: chat, Number: n}) }
	ann := followUser(t, live, tok, "ann", "")
	created(1, 1)
	joinedAt, _ := log.Head(context.Background(), tok)
	// Her join of chat 2 is committed; its notice is slower than the log.
	created(2, 1)
	created(1, 2)
	must(t, notices.Publish(context.Background(), domain.Notice{Kind: domain.NoticeMemberAdded, App: tok, Chat: 2, User: "ann", Position: joinedAt}))
	created(2, 2)
	got := userNext(t, ann, 5)
	want := []string{"1/1@00000001", "1/2@00000003", "member.added 2 ann", "2/1@00000003", "2/2@00000004"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Resumed from any id written, nothing is repeated or skipped.
	members["ann"] = []int64{1, 2}
	resumed := followUser(t, live, tok, "ann", "00000001")
	if got := userNext(t, resumed, 3); !slices.Equal(got, []string{"2/1@00000002", "1/2@00000003", "2/2@00000004"}) {
		t.Fatalf("resumed: %v", got)
	}
}

func TestUserStreamNotices(t *testing.T) {
	log, live, notices, tok := newUserFixture(t, map[domain.UserID][]int64{"ann": {1}, "bob": {1}})
	ann, bob := followUser(t, live, tok, "ann", ""), followUser(t, live, tok, "bob", "")
	publish := func(n domain.Notice) {
		n.App = tok
		must(t, notices.Publish(context.Background(), n))
	}
	publish(domain.Notice{Kind: domain.NoticeTyping, Chat: 1, User: "bob"})
	publish(domain.Notice{Kind: domain.NoticeReadUpdated, Chat: 1, User: "bob", Through: 3})
	publish(domain.Notice{Kind: domain.NoticeTyping, Chat: 2, User: "cy"}) // not their chat
	publish(domain.Notice{Kind: domain.NoticeMemberRemoved, Chat: 1, User: "ann"})
	log.append(domain.MessageCreated{Token: tok, Chat: 1, Number: 1})
	if got := userNext(t, ann, 2); !slices.Equal(got, []string{"typing 1 bob", "member.removed 1 ann"}) {
		t.Fatalf("ann: %v", got)
	}
	if got := userNext(t, bob, 2); !slices.Equal(got, []string{"read.updated 1 bob", "member.removed 1 ann"}) {
		t.Fatalf("bob: %v", got)
	}
	if got := userNext(t, bob, 1); !slices.Equal(got, []string{"1/1@00000001"}) {
		t.Fatalf("bob: %v", got)
	}
	if _, ok, err := ann.Next(context.Background(), 50*time.Millisecond); ok || err != nil {
		t.Fatalf("ann's stream went on after her removal: %v %v", ok, err)
	}
	if _, err := live.FollowUser(context.Background(), domain.AppCaller(tok), ""); err != domain.ErrForbidden {
		t.Fatalf("the application's own stream: %v, want forbidden", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A broken subscription may have lost notices: the users' streams end (their
// clients resume from the log), and open again once it listens again.
func TestUserStreamsEndWhenNoticesBreak(t *testing.T) {
	_, live, notices, tok := newUserFixture(t, map[domain.UserID][]int64{"ann": {1}})
	ann := followUser(t, live, tok, "ann", "")
	notices.broke <- errors.New("connection lost")
	if _, _, err := ann.Next(context.Background(), 5*time.Second); !errors.Is(err, application.ErrStreamEnded) {
		t.Fatalf("after the subscription broke: %v, want the stream ended", err)
	}
	again := followUser(t, live, tok, "ann", "") // waits until it listens again
	must(t, notices.Publish(context.Background(), domain.Notice{Kind: domain.NoticeTyping, App: tok, Chat: 1, User: "bob"}))
	if got := userNext(t, again, 1); !slices.Equal(got, []string{"typing 1 bob"}) {
		t.Fatalf("after listening again: %v", got)
	}
}

// A join heard while the stream opens: what it reads back overlaps what the
// opening read back, and is handed out once.
func TestUserStreamJoinedWhileOpening(t *testing.T) {
	var (
		publish  func(domain.Notice)
		joinedAt string
	)
	log, live, notices, tok := newUserFixture(t, map[domain.UserID][]int64{"ann": {1, 2}, "bob": {1}}, func(u domain.UserID) {
		if u == "ann" {
			publish(domain.Notice{Kind: domain.NoticeMemberAdded, Chat: 2, User: "ann", Position: joinedAt})
		}
	})
	publish = func(n domain.Notice) {
		n.App = tok
		must(t, notices.Publish(context.Background(), n))
	}
	created := func(chat, n int64) { log.append(domain.MessageCreated{Token: tok, Chat: chat, Number: n}) }
	bob := followUser(t, live, tok, "bob", "") // the hub notes where its tail stands for the application
	created(1, 1)
	joinedAt, _ = log.Head(context.Background(), tok)
	created(2, 1)
	created(1, 2)
	ann := followUser(t, live, tok, "ann", joinedAt)
	got := userNext(t, ann, 3)
	if want := []string{"2/1@00000002", "1/2@00000003", "member.added 2 ann"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	created(2, 2)
	if got := userNext(t, ann, 1); !slices.Equal(got, []string{"2/2@00000004"}) {
		t.Fatalf("then %v, want chat 2's next message once", got)
	}
	_ = bob
}
