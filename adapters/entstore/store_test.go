package entstore_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports/porttest"
)

func TestMySQLStoreContract(t *testing.T) {
	porttest.StoreContract(t, func(t *testing.T) porttest.Store {
		db, err := entstore.OpenMySQL(testenv.MySQLDSN(t), 8)
		if err != nil {
			t.Fatal(err)
		}
		s := entstore.New(db, dialect.MySQL)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSQLiteStoreContract(t *testing.T) {
	porttest.StoreContract(t, func(t *testing.T) porttest.Store {
		db, err := entstore.OpenSQLite(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := entstore.Migrate(context.Background(), db, "sqlite3"); err != nil {
			t.Fatal(err)
		}
		s := entstore.New(db, dialect.SQLite)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
