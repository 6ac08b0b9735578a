package entstore_test

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"testing"

	"entgo.io/ent/schema/field"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/ent/migrate"
	"github.com/chatsvc/chat/internal/testenv"
)

// Tables the migrations keep outside ent, each for a reason: raw SQL in one
// transaction with locking reads, or the embedded profile's own state.
var outsideEnt = map[string]string{
	"sequence_leases":    "reservations of number sequences (entstore/fences.go): raw upserts with GREATEST",
	"seq_applications":   "the embedded sequencer's state (adapters/embedded), written in the group-commit transaction",
	"seq_chats":          "the embedded sequencer's state",
	"idempotency_keys":   "idempotency keys kept with their rows: the embedded queue's group-commit transaction, the worker's projection (entstore/idempotency.go): raw upserts",
	"idempotency_claims": "the embedded profile's idempotency claims",
	"application_keys":   "application creations' idempotency keys, in the application's transaction (entstore/idempotency.go)",
	"chat_members":       "protected chats' members (entstore/members.go): raw upserts that keep joined_at",
	"chat_visibility":    "protected chats' visibility (entstore/members.go), beside chat_members",
	"event_outbox":       "the degraded write path's events, in the transaction of their rows and numbers (entstore/outbox.go)",
	"goose_db_version":   "the migration tool's own",
	"webhook_endpoints":  "webhook endpoints (entstore/webhooks.go), read with the outbox's raw SQL",
	"webhook_deliveries": "the webhooks' outbox: claims lock with SKIP LOCKED (entstore/webhooks_outbox.go)",
	"app_events":         "the pull feed of each application's events, written with the webhook deliveries (entstore/feed.go)",
	"lifecycle_jobs":     "the data lifecycle jobs (entstore/jobs.go): claimed with a conditional update under a lease",
	"retention_policies": "how long messages are kept, an application's and its chats' (entstore/retention.go): raw upserts",
}

// One schema truth: the versioned migrations of each dialect make exactly
// the tables and columns ent/schema describes, with compatible types and
// the same nullability, and no table ent does not know but those above.
func TestMigrationsMatchTheEntSchema(t *testing.T) {
	for _, dialect := range []string{"mysql", "sqlite3"} {
		t.Run(dialect, func(t *testing.T) {
			var db *sql.DB
			var err error
			if dialect == "mysql" {
				db, err = entstore.OpenMySQL(testenv.MySQLDSN(t), 2) // migrated by testenv
			} else {
				db, err = entstore.OpenSQLite(t.TempDir())
				if err == nil {
					_, err = entstore.Migrate(context.Background(), db, "sqlite3")
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			got := columnsOf(t, db, dialect)
			want := map[string]bool{}
			for _, table := range migrate.Tables {
				want[table.Name] = true
				cols, ok := got[table.Name]
				if !ok {
					t.Errorf("ent's table %s is not made by the migrations", table.Name)
					continue
				}
				for _, c := range table.Columns {
					col, ok := cols[c.Name]
					if !ok {
						t.Errorf("%s.%s is in ent/schema but not in the migrations", table.Name, c.Name)
						continue
					}
					if !compatible(c.Type, col.typ) {
						t.Errorf("%s.%s: ent says %s, the migrations make %s", table.Name, c.Name, c.Type, col.typ)
					}
					if c.Nullable != col.nullable {
						t.Errorf("%s.%s: ent says nullable=%v, the migrations make nullable=%v", table.Name, c.Name, c.Nullable, col.nullable)
					}
					delete(cols, c.Name)
				}
				for name := range cols {
					t.Errorf("%s.%s is made by the migrations but not in ent/schema", table.Name, name)
				}
			}
			var extra []string
			for table := range got {
				if !want[table] && outsideEnt[table] == "" && !strings.HasPrefix(table, "sqlite_") {
					extra = append(extra, table)
				}
			}
			sort.Strings(extra)
			if len(extra) > 0 {
				t.Errorf("tables neither in ent/schema nor explained in outsideEnt: %v", extra)
			}
		})
	}
}

type column struct {
	typ      string
	nullable bool
}

func columnsOf(t *testing.T, db *sql.DB, dialect string) map[string]map[string]column {
	t.Helper()
	out := map[string]map[string]column{}
	add := func(table, name, typ string, nullable bool) {
		if out[table] == nil {
			out[table] = map[string]column{}
		}
		out[table][name] = column{typ: strings.ToLower(typ), nullable: nullable}
	}
	if dialect == "mysql" {
		rows, err := db.Query(`SELECT table_name, column_name, column_type, is_nullable = 'YES' FROM information_schema.columns WHERE table_schema = DATABASE()`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var table, name, typ string
			var nullable bool
			if err := rows.Scan(&table, &name, &typ, &nullable); err != nil {
				t.Fatal(err)
			}
			add(table, name, typ, nullable)
		}
		return out
	}
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		_ = rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	for _, table := range tables {
		cols, err := db.Query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var name, typ string
			var notnull, pk int
			if err := cols.Scan(&name, &typ, &notnull, &pk); err != nil {
				t.Fatal(err)
			}
			add(table, name, typ, notnull == 0 && pk == 0)
		}
		cols.Close()
	}
	return out
}

// compatible says whether a column the migrations make can hold ent's type.
func compatible(t field.Type, sqlType string) bool {
	switch t {
	case field.TypeInt, field.TypeInt64:
		return strings.Contains(sqlType, "int")
	case field.TypeString:
		return strings.Contains(sqlType, "char") || strings.Contains(sqlType, "text")
	case field.TypeTime:
		return strings.Contains(sqlType, "datetime")
	case field.TypeBool:
		return strings.Contains(sqlType, "bool") || strings.Contains(sqlType, "tinyint")
	}
	return false
}
