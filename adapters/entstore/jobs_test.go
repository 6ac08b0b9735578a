package entstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// A deleted application is unknown to the store at once; events of it
// still on their way are dropped, not failed (also once its rows are gone
// and a worker still has its ids cached); the purge removes everything of
// it in bounded batches.
func TestDeletedApplication(t *testing.T) {
	t.Run("mysql", func(t *testing.T) {
		db, err := entstore.OpenMySQL(testenv.MySQLDSN(t), 8)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		deletedApplicationCase(t, entstore.New(db, dialect.MySQL), entstore.New(db, dialect.MySQL))
	})
	t.Run("sqlite", func(t *testing.T) {
		db, err := entstore.OpenSQLite(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := entstore.Migrate(context.Background(), db, "sqlite3"); err != nil {
			t.Fatal(err)
		}
		deletedApplicationCase(t, entstore.New(db, dialect.SQLite), entstore.New(db, dialect.SQLite))
	})
}

// worker is another process's store on the same database, with its ids
// cached before the deletion.
func deletedApplicationCase(t *testing.T, s, worker *entstore.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	name, _ := domain.NewName("Doomed")
	tok := domain.NewToken()
	if err := s.CreateApplication(ctx, domain.Application{Token: tok, Name: name, CreatedAt: now, UpdatedAt: now, Access: domain.OpenAccess()}); err != nil {
		t.Fatal(err)
	}
	msg := func(chat, n int64) domain.Event {
		return domain.MessageCreated{Token: tok, Chat: chat, Number: n, Body: "doomed", CreatedAt: now}
	}
	apply := func(events ...domain.Event) error { _, err := worker.ApplyEvents(ctx, events); return err }
	if err := apply(domain.ChatCreated{Token: tok, Number: 1, CreatedAt: now}, msg(1, 1), msg(1, 2), msg(1, 3)); err != nil {
		t.Fatal(err)
	}
	job := domain.Job{ID: domain.NewJobID(), Kind: domain.JobDeleteApplication, Token: tok, State: domain.JobPending, NotBefore: now, CreatedAt: now, UpdatedAt: now}
	if err := s.DeleteApplication(ctx, tok, job); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Application(ctx, tok); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a deleted application read back: %v", err)
	}
	if err := s.DeleteApplication(ctx, tok, job); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	// In flight at the deletion: a message of the chat (its ids cached here)
	// and a chat of its own, kept for the purge to remove.
	for _, e := range []domain.Event{msg(1, 4), domain.ChatCreated{Token: tok, Number: 2, CreatedAt: now}} {
		if err := apply(e); err != nil {
			t.Fatalf("an event in flight at the deletion: %v", err)
		}
	}
	removed := 0
	for {
		chats, err := s.PurgeChats(ctx, tok, 16)
		if err != nil {
			t.Fatal(err)
		}
		for _, chat := range chats {
			for gone := false; !gone; {
				var n int
				n, gone, err = s.PurgeChat(ctx, tok, chat, 2)
				if err != nil || n > 2 {
					t.Fatalf("purged %d of chat %d (at most 2): %v", n, chat, err)
				}
				removed += n
			}
		}
		n, done, err := s.PurgeRest(ctx, tok, 2)
		if err != nil {
			t.Fatal(err)
		}
		removed += n
		if done {
			break
		}
	}
	if removed != 7 { // 4 messages, 2 chats, the application
		t.Fatalf("the purge removed %d rows", removed)
	}
	if chats, err := s.PurgeChats(ctx, tok, 16); err != nil || len(chats) != 0 {
		t.Fatalf("chats left: %v %v", chats, err)
	}
	// Later still (the rows gone, the ids cached): dropped, nothing written.
	for _, e := range []domain.Event{msg(1, 5), domain.ChatCreated{Token: tok, Number: 3, CreatedAt: now}} {
		if err := apply(e); err != nil {
			t.Fatalf("an event after the purge: %v", err)
		}
	}
	if _, err := s.Chat(ctx, tok, 3); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a chat written after the purge: %v", err)
	}
	if chats, _ := s.PurgeChats(ctx, tok, 16); len(chats) != 0 {
		t.Fatalf("rows written after the purge: %v", chats)
	}
}
