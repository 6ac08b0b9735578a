package entstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// With a replica, the api's reads of chats and messages come from it (what
// it has not applied yet reads as not yet persisted), while writes and
// applications stay on the primary: a real MariaDB replica, replication
// paused and resumed.
func TestReadsFromTheReplica(t *testing.T) {
	ctx := context.Background()
	primaryDSN, replicaDSN := testenv.MySQLReplicaToPause(t)
	primary, err := entstore.OpenMySQL(primaryDSN, 4)
	if err != nil {
		t.Fatal(err)
	}
	replica, err := entstore.OpenMySQL(replicaDSN, 4)
	if err != nil {
		t.Fatal(err)
	}
	store := entstore.New(primary, dialect.MySQL).WithReplica(replica)
	defer store.Close()
	control, err := sql.Open("mysql", replicaDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close()

	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	name, _ := domain.NewName("replicated")
	app := domain.Application{Token: domain.NewToken(), Name: name, CreatedAt: at, UpdatedAt: at}
	if err := store.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Application(ctx, app.Token); err != nil {
		t.Fatalf("an application is read from the primary, at once: %v", err)
	}
	apply := func(events ...domain.Event) {
		t.Helper()
		if _, err := store.ApplyEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
	}
	apply(domain.ChatCreated{Token: app.Token, Number: 1, CreatedAt: at},
		domain.MessageCreated{Token: app.Token, Chat: 1, Number: 1, Body: "one", CreatedAt: at})
	readable := func(n int64) bool {
		_, err := store.Message(ctx, app.Token, 1, n)
		return err == nil
	}
	testenv.WaitReplicated(t, primaryDSN, replicaDSN)
	if !readable(1) {
		t.Fatal("message 1 is not read once the replica applied it")
	}

	// Replication paused (STOP SLAVE returns once the replica's threads
	// stopped): a message persisted on the primary is not read yet.
	if _, err := control.Exec("STOP SLAVE"); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = control.Exec("START SLAVE") }()
	apply(domain.MessageCreated{Token: app.Token, Chat: 1, Number: 2, Body: "two", CreatedAt: at})
	var onPrimary int
	if err := primary.QueryRow("SELECT COUNT(*) FROM messages WHERE number = 2").Scan(&onPrimary); err != nil || onPrimary != 1 {
		t.Fatalf("message 2 on the primary: %d %v", onPrimary, err)
	}
	if readable(2) {
		t.Fatal("message 2 was read while the replica had not applied it: reads do not come from the replica")
	}
	page, err := store.Messages(ctx, app.Token, 1, domain.PageRequest[int64]{Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("the page from the paused replica: %+v %v", page, err)
	}
	if _, err := control.Exec("START SLAVE"); err != nil {
		t.Fatal(err)
	}
	testenv.WaitReplicated(t, primaryDSN, replicaDSN)
	if !readable(2) {
		t.Fatal("message 2 is not read once the replica resumed and applied it")
	}
	c, err := store.Chat(ctx, app.Token, 1)
	if err != nil || c.MessagesCount != 2 {
		t.Fatalf("the chat from the replica: %+v %v", c, err)
	}
}
