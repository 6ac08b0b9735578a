package entstore_test

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// The reconcile's sweep drops the idempotency keys past their day and keeps
// the others: the table holds about a day of keyed writes.
func TestReconcileDropsExpiredIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	db, err := entstore.OpenMySQL(testenv.MySQLDSN(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	s := entstore.New(db, dialect.MySQL)
	t.Cleanup(func() { s.Close() })
	name, _ := domain.NewName("purge")
	now := time.Now().UTC()
	app := domain.Application{Token: domain.NewToken(), Name: name, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-domain.IdempotencyTTL - time.Minute)
	if _, err := s.ApplyEvents(ctx, []domain.Event{
		domain.ChatCreated{Token: app.Token, Number: 1, CreatedAt: old, Idem: domain.Idempotency{Key: "old", Fingerprint: "f"}},
		domain.ChatCreated{Token: app.Token, Number: 2, CreatedAt: now, Idem: domain.Idempotency{Key: "new", Fingerprint: "f"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReconcileCounts(ctx); err != nil {
		t.Fatal(err)
	}
	var keys []string
	rows, err := db.QueryContext(ctx, "SELECT idem_key FROM idempotency_keys WHERE token = ?", string(app.Token))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if len(keys) != 1 || keys[0] != "new" {
		t.Fatalf("keys left after the sweep: %v, want [new]", keys)
	}
}
