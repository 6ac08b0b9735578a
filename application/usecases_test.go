package application_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/adapters/usertoken"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/application/decorator"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

type fixture struct {
	store *entstore.Store
	apps  *application.Applications
	chats *application.Chats
	msgs  *application.Messages
	pub   *porttest.FakeQueue
	cache *memory.ReadCache
}

// Use cases on the embedded store (SQLite), with a queue that numbers the
// events and keeps them, unapplied.
func newFixture(t *testing.T) fixture {
	t.Helper()
	db, err := entstore.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := entstore.Migrate(context.Background(), db, "sqlite3"); err != nil {
		t.Fatal(err)
	}
	store := entstore.New(db, dialect.SQLite)
	t.Cleanup(func() { store.Close() })
	clock := fixedClock{time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
	pub := porttest.NewFakeQueue(store)
	// Reads through the cache, as the api's are.
	cache := memory.NewReadCache(1000, time.Hour)
	reads := decorator.NewCachedReads(store, store, cache)
	return fixture{
		store: store,
		apps:  application.NewApplications(store, pub, clock, sqlite.NewClaims(db), memory.NewApplicationAccess(), usertoken.New(clock.Now), time.Hour),
		chats: application.NewChats(pub, reads, clock),
		msgs:  application.NewMessages(pub, reads, nil, clock, 0),
		pub:   pub,
		cache: cache,
	}
}

// appWithChat creates an application and its chat 1, and returns its token.
func (f fixture) appWithChat(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	app, err := f.apps.Create(ctx, "app", domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.chats.Create(ctx, string(app.Token), "", "", domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	return string(app.Token)
}

func TestRefusedInputAllocatesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	app, err := f.apps.Create(ctx, "app", domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	tok := string(app.Token)
	if _, err := f.chats.Create(ctx, tok, "", "", domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	var v *domain.ValidationError
	if _, err := f.msgs.Create(ctx, domain.Caller{}, application.ChatPath{Token: tok, Chat: "1"}, application.NewMessage{Body: "   "}, domain.Idempotency{}); !errors.As(err, &v) {
		t.Fatalf("blank body: %v", err)
	}
	if _, err := f.msgs.Create(ctx, domain.Caller{}, application.ChatPath{Token: tok, Chat: "0"}, application.NewMessage{Body: "hi"}, domain.Idempotency{}); err == nil {
		t.Fatal("chat 0 accepted")
	}
	m, err := f.msgs.Create(ctx, domain.Caller{}, application.ChatPath{Token: tok, Chat: "1"}, application.NewMessage{Body: "hi"}, domain.Idempotency{})
	if err != nil || m.Number != 1 {
		t.Fatalf("first accepted message: %+v %v", m, err)
	}
	if len(f.pub.Events) != 2 {
		t.Fatalf("%d events published, want 2 (the chat and one message)", len(f.pub.Events))
	}
	ev := f.pub.Events[1].(domain.MessageCreated)
	if ev.Token != app.Token || ev.Chat != 1 || ev.Number != 1 || ev.Body != "hi" {
		t.Fatalf("event %+v", ev)
	}
}

func TestEditNeedsAnAllocatedMessage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.appWithChat(t)
	if _, err := f.msgs.Edit(ctx, application.MessagePath{Token: tok, Chat: "1", Message: "1"}, application.MessageChange{Body: "new"}, domain.Idempotency{}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("edit of a message never created: %v", err)
	}
	_, _ = f.msgs.Create(ctx, domain.Caller{}, application.ChatPath{Token: tok, Chat: "1"}, application.NewMessage{Body: "old"}, domain.Idempotency{})
	m, err := f.msgs.Edit(ctx, application.MessagePath{Token: tok, Chat: "1", Message: "1"}, application.MessageChange{Body: "new"}, domain.Idempotency{})
	if err != nil || m.Body.String() != "new" {
		t.Fatalf("edit: %+v %v", m, err)
	}
	e1 := f.pub.Events[len(f.pub.Events)-1].(domain.MessageEdited)
	_, _ = f.msgs.Edit(ctx, application.MessagePath{Token: tok, Chat: "1", Message: "1"}, application.MessageChange{Body: "newer"}, domain.Idempotency{})
	e2 := f.pub.Events[len(f.pub.Events)-1].(domain.MessageEdited)
	if e2.Version <= e1.Version {
		t.Fatalf("versions %d then %d", e1.Version, e2.Version)
	}
}

func TestQueueFailureIsReported(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	app, _ := f.apps.Create(ctx, "app", domain.Idempotency{})
	f.pub.Fail = domain.Unavailable("redis", errors.New("down"))
	if _, err := f.chats.Create(ctx, string(app.Token), "", "", domain.Idempotency{}); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("create while the queue is down: %v", err)
	}
}

func TestProjectorCountsConverge(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.appWithChat(t)
	for i := 0; i < 3; i++ {
		_, _ = f.msgs.Create(ctx, domain.Caller{}, application.ChatPath{Token: tok, Chat: "1"}, application.NewMessage{Body: "m"}, domain.Idempotency{})
	}
	p := application.NewProjector(f.store, f.store, f.cache, memory.NewMemberCache())
	if err := p.Apply(ctx, f.pub.Events); err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(ctx, f.pub.Events); err != nil { // redelivered
		t.Fatal(err)
	}
	if err := p.FlushCounts(ctx); err != nil {
		t.Fatal(err)
	}
	a, _ := f.apps.Get(ctx, tok)
	c, _ := f.chats.Get(ctx, application.ChatPath{Token: tok, Chat: "1"})
	if a.ChatsCount != 1 || c.MessagesCount != 3 {
		t.Fatalf("counts %d chats, %d messages; want 1 and 3", a.ChatsCount, c.MessagesCount)
	}
}

// The cached reads follow every change the projector commits: an edit, a
// delete, a new message on the page and the chat's count.
func TestCachedReadsFollowCommittedChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p := application.NewProjector(f.store, f.store, f.cache, memory.NewMemberCache())
	tok := f.appWithChat(t)
	_, _ = f.msgs.Create(ctx, domain.Caller{}, application.ChatPath{Token: tok, Chat: "1"}, application.NewMessage{Body: "first"}, domain.Idempotency{})
	_, _ = f.msgs.Create(ctx, domain.Caller{}, application.ChatPath{Token: tok, Chat: "1"}, application.NewMessage{Body: "second"}, domain.Idempotency{})
	apply := func() {
		t.Helper()
		if err := p.Apply(ctx, f.pub.Events); err != nil {
			t.Fatal(err)
		}
		f.pub.Events = nil
		if err := p.FlushCounts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	apply()
	page := func() string {
		t.Helper()
		pg, err := f.msgs.List(ctx, application.ChatPath{Token: tok, Chat: "1"}, domain.PageRequest[int64]{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var out string
		for _, m := range pg.Items {
			out += m.Body.String() + ";"
		}
		return out
	}
	read := func(n string) string {
		t.Helper()
		m, err := f.msgs.Get(ctx, application.MessagePath{Token: tok, Chat: "1", Message: n})
		if errors.Is(err, domain.ErrNotFound) {
			return "(not found)"
		}
		if err != nil {
			t.Fatal(err)
		}
		return m.Body.String()
	}
	count := func() int64 {
		t.Helper()
		c, err := f.chats.Get(ctx, application.ChatPath{Token: tok, Chat: "1"})
		if err != nil {
			t.Fatal(err)
		}
		return c.MessagesCount
	}
	for range 2 { // the second time from the cache
		if got := read("1") + " " + page(); got != "first first;second;" {
			t.Fatalf("before the edit: %s", got)
		}
		if count() != 2 {
			t.Fatalf("count %d before the third message", count())
		}
	}
	if _, err := f.msgs.Edit(ctx, application.MessagePath{Token: tok, Chat: "1", Message: "1"}, application.MessageChange{Body: "edited"}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	if got := read("1"); got != "first" {
		t.Fatalf("the edit is not applied yet, read %q", got)
	}
	_, _ = f.msgs.Create(ctx, domain.Caller{}, application.ChatPath{Token: tok, Chat: "1"}, application.NewMessage{Body: "third"}, domain.Idempotency{})
	apply()
	if got := read("1") + " " + page(); got != "edited edited;second;third;" {
		t.Fatalf("after the edit and a third message: %s", got)
	}
	if count() != 3 {
		t.Fatalf("count %d after the third message", count())
	}
	if err := f.msgs.Delete(ctx, application.MessagePath{Token: tok, Chat: "1", Message: "2"}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	apply()
	if got := read("2") + " " + page(); got != "(not found) edited;third;" {
		t.Fatalf("after the delete: %s", got)
	}
	// An entry that is not of this encoding (another version's, or damaged)
	// is read through and replaced.
	chat := domain.ChatKey{Token: domain.Token(tok), Number: 1}
	for _, garbage := range []string{"", "\x00junk", "\x01", "\x01\x02\x03"} {
		_, slot, _ := f.cache.Lookup(ctx, chat, "m1")
		f.cache.Store(ctx, slot, []byte(garbage))
		if got := read("1"); got != "edited" {
			t.Fatalf("with %q cached: %q", garbage, got)
		}
	}
}

// partlyFailing commits a batch and then reports a failure, as a store that
// applies a batch in several transactions does when one of them fails.
type partlyFailing struct{ ports.Projection }

func (p partlyFailing) ApplyEvents(ctx context.Context, events []domain.Event) (domain.Touched, error) {
	_, _ = p.Projection.ApplyEvents(ctx, events)
	return domain.Touched{}, domain.Unavailable("database", errors.New("one of the batch's transactions failed"))
}

// A batch that failed may be committed in part: what is cached about its
// chats is dropped all the same, so that no read serves the state before
// it until the retry.
func TestAFailedBatchDropsItsCachedChats(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.appWithChat(t)
	path := application.ChatPath{Token: tok, Chat: "1"}
	if err := application.NewProjector(f.store, f.store, f.cache, memory.NewMemberCache()).Apply(ctx, f.pub.Events); err != nil {
		t.Fatal(err)
	}
	f.pub.Events = nil
	if pg, err := f.msgs.List(ctx, path, domain.PageRequest[int64]{Limit: 50}); err != nil || len(pg.Items) != 0 {
		t.Fatalf("the empty chat's page: %v %v", pg.Items, err)
	} // cached now
	_, _ = f.msgs.Create(ctx, domain.Caller{}, path, application.NewMessage{Body: "committed, then the batch failed"}, domain.Idempotency{})
	failing := application.NewProjector(partlyFailing{f.store}, f.store, f.cache, memory.NewMemberCache())
	if err := failing.Apply(ctx, f.pub.Events); err == nil {
		t.Fatal("the failure was not reported")
	}
	if pg, err := f.msgs.List(ctx, path, domain.PageRequest[int64]{Limit: 50}); err != nil || len(pg.Items) != 1 {
		t.Fatalf("after a batch committed in part: %d messages on the page (%v), want the committed 1", len(pg.Items), err)
	}
}
