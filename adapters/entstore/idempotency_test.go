package entstore_test

import (
	"context"
	"database/sql"
	"fmt"
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
	s, db, app := mysqlApp(t, "purge")
	now := app.CreatedAt
	name := app.Name
	old := now.Add(-domain.IdempotencyTTL - time.Minute)
	if _, err := s.ApplyEvents(ctx, []domain.Event{
		domain.ChatCreated{Token: app.Token, Number: 1, CreatedAt: old, Idem: domain.Idempotency{Key: "old", Fingerprint: "f"}},
		domain.ChatCreated{Token: app.Token, Number: 2, CreatedAt: now, Idem: domain.Idempotency{Key: "new", Fingerprint: "f"}},
	}); err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Time{old, now} {
		keyed := domain.Application{Token: domain.NewToken(), Name: name, CreatedAt: at, UpdatedAt: at}
		if err := s.CreateApplicationKeyed(ctx, keyed, domain.Idempotency{Key: fmt.Sprint(app.Token, i), Fingerprint: "f"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReconcileCounts(ctx); err != nil {
		t.Fatal(err)
	}
	keys := stringsOf(t, db, "SELECT idem_key FROM idempotency_keys WHERE token = ?", string(app.Token))
	if len(keys) != 1 || keys[0] != "new" {
		t.Fatalf("keys left after the sweep: %v, want [new]", keys)
	}
	appKeys := stringsOf(t, db, "SELECT idem_key FROM application_keys WHERE idem_key LIKE ?", string(app.Token)+"%")
	if want := fmt.Sprint(app.Token, 1); len(appKeys) != 1 || appKeys[0] != want {
		t.Fatalf("application keys left after the sweep: %v, want [%s]", appKeys, want)
	}
}

// mysqlApp is a store on a database of the test's own, holding one
// application called name.
func mysqlApp(t *testing.T, name string) (*entstore.Store, *sql.DB, domain.Application) {
	t.Helper()
	db, err := entstore.OpenMySQL(testenv.MySQLDSN(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	s := entstore.New(db, dialect.MySQL)
	t.Cleanup(func() { s.Close() })
	n, _ := domain.NewName(name)
	now := time.Now().UTC()
	app := domain.Application{Token: domain.NewToken(), Name: n, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateApplication(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	return s, db, app
}

// stringsOf reads one column of strings.
func stringsOf(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
