package sqlite_test

import (
	"testing"

	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func TestIdempotencyClaimsContract(t *testing.T) {
	porttest.IdempotencyClaimsContract(t, func(t *testing.T) ports.IdempotencyClaims {
		db := openDB(t, t.TempDir())
		t.Cleanup(func() { db.Close() })
		return sqlite.NewClaims(db)
	})
}
