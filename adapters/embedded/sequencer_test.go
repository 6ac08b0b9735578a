package embedded_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/chatsvc/chat/adapters/embedded"
	"github.com/chatsvc/chat/adapters/entstore"
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

func TestSequencerContract(t *testing.T) {
	porttest.SequencerContract(t, func(t *testing.T, seeds *porttest.Seeds) ports.Sequencer {
		db := openDB(t, t.TempDir())
		t.Cleanup(func() { db.Close() })
		return embedded.NewSequencer(db, seeds)
	})
}

// A number handed out is never handed out again, also after the process
// (here: the database handle) goes away and comes back.
func TestSequencerSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	seeds := porttest.NewSeeds()
	open := func() (*embedded.Sequencer, func()) {
		db := openDB(t, dir)
		return embedded.NewSequencer(db, seeds), func() { db.Close() }
	}
	seq, closeDB := open()
	tok := domain.NewToken()
	if err := seq.RegisterApplication(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, _ = seq.NextChatNumber(ctx, tok)
	_, _ = seq.NextMessageNumber(ctx, tok, 1)
	closeDB()
	seq, closeDB = open()
	defer closeDB()
	if n, err := seq.NextMessageNumber(ctx, tok, 1); err != nil || n != 2 {
		t.Fatalf("after reopen: message %d, %v; want 2", n, err)
	}
	if n, err := seq.NextChatNumber(ctx, tok); err != nil || n != 2 {
		t.Fatalf("after reopen: chat %d, %v; want 2", n, err)
	}
}
