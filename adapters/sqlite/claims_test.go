package sqlite_test

import (
	"context"
	"testing"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func TestIdempotencyClaimsContract(t *testing.T) {
	porttest.IdempotencyClaimsContract(t, func(t *testing.T) ports.IdempotencyClaims {
		db, err := entstore.OpenSQLite(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := entstore.Migrate(context.Background(), db, "sqlite3"); err != nil {
			t.Fatal(err)
		}
		return sqlite.NewClaims(db)
	})
}
