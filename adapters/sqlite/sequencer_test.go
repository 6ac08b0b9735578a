package sqlite_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// openDB opens and migrates the embedded database in dir.
func openDB(t *testing.T, dir string) *sql.DB {
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
