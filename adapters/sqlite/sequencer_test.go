package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// openDB opens and migrates the embedded database in dir.
func openDB(t testing.TB, dir string) *sql.DB {
	t.Helper()
	db, err := entstore.OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := entstore.Migrate(context.Background(), db, "sqlite3"); err != nil {
		t.Fatal(err)
	}
	return db
}

// queueOn is the queue over the database in dir, numbering with seeds. Its
// transactions take the numbers and write no rows (TestQueueGroupCommits
// has the store's): seeds stands for the system of record.
func queueOn(t *testing.T, dir string, seeds ports.SequenceSeeds) (*sqlite.Sequencer, *sqlite.Queue, func()) {
	t.Helper()
	db := openDB(t, dir)
	seq := sqlite.NewSequencer(db, seeds)
	q := sqlite.NewQueue(seq, func(ctx context.Context, allocate func(context.Context, entstore.SQLTx) ([]domain.Event, error)) (domain.Touched, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return domain.Touched{}, err
		}
		if _, err := allocate(ctx, tx); err != nil {
			_ = tx.Rollback()
			return domain.Touched{}, err
		}
		return domain.Touched{}, tx.Commit()
	}, func([]domain.Event, domain.Touched) {}, 64)
	q.Start()
	return seq, q, func() { q.Close(); db.Close() }
}

func TestEventQueueContract(t *testing.T) {
	porttest.EventQueueContract(t, func(t *testing.T, seeds *porttest.Seeds) porttest.Queue {
		seq, q, closeQ := queueOn(t, t.TempDir(), seeds)
		t.Cleanup(closeQ)
		return struct {
			*sqlite.Sequencer
			*sqlite.Queue
		}{seq, q}
	})
}

// A number handed out is never handed out again, also after the process
// (here: the database handle) goes away and comes back.
func TestSequencerSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	seeds := porttest.NewSeeds()
	seq, q, closeQ := queueOn(t, dir, seeds)
	tok := domain.NewToken()
	if err := seq.RegisterApplication(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, _, _ = q.Append(ctx, domain.ChatCreated{Token: tok}, domain.Idempotency{})
	_, _, _ = q.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "m"}, domain.Idempotency{})
	closeQ()
	_, q, closeQ = queueOn(t, dir, seeds)
	defer closeQ()
	if ev, _, err := q.Append(ctx, domain.MessageCreated{Token: tok, Chat: 1, Body: "m"}, domain.Idempotency{}); err != nil || ev.(domain.MessageCreated).Number != 2 {
		t.Fatalf("after reopen: message %v, %v; want 2", ev, err)
	}
	if ev, _, err := q.Append(ctx, domain.ChatCreated{Token: tok}, domain.Idempotency{}); err != nil || ev.(domain.ChatCreated).Number != 2 {
		t.Fatalf("after reopen: chat %v, %v; want 2", ev, err)
	}
}

// One transaction's allocations check a chat once, and only what holds:
// a message in a chat not created yet is refused, and once the chat is
// created in the same transaction its messages and edits are numbered.
func TestAllocationInOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	defer db.Close()
	seq := sqlite.NewSequencer(db, porttest.NewSeeds())
	tok := domain.NewToken()
	if err := seq.RegisterApplication(ctx, tok); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	a := seq.Begin()
	if _, err := a.Allocate(ctx, tx, domain.MessageCreated{Token: tok, Chat: 1, Body: "early"}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a message in a chat not created yet: %v", err)
	}
	for _, c := range []struct {
		draft domain.Event
		want  string
	}{
		{domain.ChatCreated{Token: tok}, "chat 1"},
		{domain.MessageCreated{Token: tok, Chat: 1, Body: "a"}, "message 1"},
		{domain.MessageCreated{Token: tok, Chat: 1, Body: "b"}, "message 2"},
		{domain.MessageEdited{Token: tok, Chat: 1, Number: 2, Body: "c"}, "version 1"},
		{domain.MessageEdited{Token: tok, Chat: 1, Number: 3, Body: "d"}, "not found"},
	} {
		ev, err := a.Allocate(ctx, tx, c.draft)
		var got string
		switch e := ev.(type) {
		case domain.ChatCreated:
			got = fmt.Sprint("chat ", e.Number)
		case domain.MessageCreated:
			got = fmt.Sprint("message ", e.Number)
		case domain.MessageEdited:
			got = fmt.Sprint("version ", e.Version)
		}
		if errors.Is(err, domain.ErrNotFound) {
			got = "not found"
		} else if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Fatalf("%T: %s, want %s", c.draft, got, c.want)
		}
	}
}
