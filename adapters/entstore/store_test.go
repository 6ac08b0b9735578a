package entstore_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

// The store's ports, each suite on MySQL and on SQLite.

func TestApplicationStoreContract(t *testing.T) { onBoth(t, porttest.ApplicationStoreContract) }
func TestReadersContract(t *testing.T)          { onBoth(t, porttest.ReadersContract) }
func TestProjectionContract(t *testing.T)       { onBoth(t, porttest.ProjectionContract) }
func TestCountersContract(t *testing.T)         { onBoth(t, porttest.CountersContract) }
func TestSequenceSeedsContract(t *testing.T)    { onBoth(t, porttest.SequenceSeedsContract) }
func TestSequenceFencesContract(t *testing.T)   { onBoth(t, porttest.SequenceFencesContract) }
func TestSearchFallbackContract(t *testing.T)   { onBoth(t, porttest.SearchFallbackContract) }

func TestMemberStoreContract(t *testing.T) {
	onBoth(t, func(t *testing.T, newStore func(t *testing.T) porttest.Store) {
		porttest.MemberStoreContract(t, func(t *testing.T) ports.MemberStore { return newStore(t).(*entstore.Store) })
	})
}

func onBoth(t *testing.T, contract func(t *testing.T, newStore func(t *testing.T) porttest.Store)) {
	t.Run("mysql", func(t *testing.T) { contract(t, mysqlStore) })
	t.Run("sqlite", func(t *testing.T) { contract(t, sqliteStore) })
}

func mysqlStore(t *testing.T) porttest.Store {
	db, err := entstore.OpenMySQL(testenv.MySQLDSN(t), 8)
	if err != nil {
		t.Fatal(err)
	}
	s := entstore.New(db, dialect.MySQL)
	t.Cleanup(func() { s.Close() })
	return s
}

func sqliteStore(t *testing.T) porttest.Store {
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
}

func TestReadPositionsContract(t *testing.T) {
	onBoth(t, func(t *testing.T, newStore func(t *testing.T) porttest.Store) {
		porttest.ReadPositionsContract(t, func(t *testing.T) porttest.ReadsStore { return newStore(t).(*entstore.Store) })
	})
}
