package entstore_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/go-sql-driver/mysql"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
)

// statements records every statement a pool runs, with its arguments.
type statements struct {
	mu   sync.Mutex
	list []statement
	on   bool
}

type statement struct {
	query string
	args  []any
}

func (r *statements) add(q string, args []driver.NamedValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on {
		return
	}
	st := statement{query: q}
	for _, a := range args {
		st.args = append(st.args, a.Value)
	}
	r.list = append(r.list, st)
}

type recordingConnector struct {
	driver.Connector
	rec *statements
}

func (c recordingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: conn, rec: c.rec}, nil
}

type recordingConn struct {
	driver.Conn
	rec *statements
}

func (c *recordingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.rec.add(q, args)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *recordingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.rec.add(q, args)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *recordingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *recordingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// The seam a store sharded by application needs (docs/SCALING.md): every
// statement the store runs for the api and the persisting worker reaches
// rows of exactly one application: naming two would cross shards, naming
// none is a scan of every shard. Exempt: the operator listing of applications,
// and the sweeps of the maintenance paths (the counters' reconcile, the
// index's scan), which walk every application by design.
func TestEveryStatementReachesOneApplication(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.MySQLDSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ParseTime, cfg.Loc, cfg.InterpolateParams = true, time.UTC, true
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &statements{}
	db := sql.OpenDB(recordingConnector{connector, rec})
	// Ids of each table in a range of their own, far above the numbers,
	// versions and limits the statements carry, so that an argument tells
	// which row it names.
	for table, base := range map[string]int{"applications": 1_000_000, "chats": 2_000_000, "messages": 3_000_000} {
		if _, err := db.Exec(fmt.Sprintf("ALTER TABLE %s AUTO_INCREMENT = %d", table, base)); err != nil {
			t.Fatal(err)
		}
	}
	store := entstore.New(db, dialect.MySQL)
	defer store.Close()

	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tokens := []domain.Token{domain.NewToken(), domain.NewToken()}
	for _, tok := range tokens {
		name, _ := domain.NewName("seam")
		if err := store.CreateApplication(ctx, domain.Application{Token: tok, Name: name, CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	rec.on = true
	rec.mu.Unlock()
	// One worker batch mixing both applications, then again (a redelivery).
	var batch []domain.Event
	for _, tok := range tokens {
		batch = append(batch,
			domain.ChatCreated{Token: tok, Number: 1, CreatedAt: at},
			domain.MessageCreated{Token: tok, Chat: 1, Number: 1, Body: "one", CreatedAt: at, Idem: domain.Idempotency{Key: "k1", Fingerprint: "f"}},
			domain.MessageCreated{Token: tok, Chat: 1, Number: 2, Body: "two", CreatedAt: at},
			domain.MessageCreated{Token: tok, Chat: 2, Number: 1, Body: "chat 2 before its creation", CreatedAt: at},
			domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "one, edited", Version: 3, EditedAt: at},
			domain.MessageDeleted{Token: tok, Chat: 1, Number: 2, Version: 4, DeletedAt: at})
	}
	for range 2 {
		touched, err := store.ApplyEvents(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.RefreshCounts(ctx, touched); err != nil {
			t.Fatal(err)
		}
	}
	// The api's reads, the sequencer's seeds, fences and leases, and the
	// degraded write path, of one application.
	tok := tokens[0]
	degraded := entstore.NewOutboxQueue(store, 10, func(context.Context, domain.Event) (ports.OutboxEntry, error) {
		return ports.OutboxEntry{Topic: "t", UUID: "u", Payload: "{}"}, nil
	})
	appendDegraded := func(draft domain.Event, idem domain.Idempotency) func() error {
		return func() error { _, _, err := degraded.Append(ctx, draft, idem); return err }
	}
	q, _ := domain.NewSearchQuery("edited")
	calls := []func() error{
		func() error { _, err := store.Application(ctx, tok); return err },
		func() error {
			name, _ := domain.NewName("renamed")
			_, err := store.UpdateApplication(ctx, tok, func(a domain.Application) (domain.Application, error) {
				a.Name, a.UpdatedAt = name, at
				return a, nil
			})
			return err
		},
		func() error { return store.ChatExists(ctx, tok, 1) },
		func() error { _, err := store.Chat(ctx, tok, 1); return err },
		func() error { _, err := store.Chats(ctx, tok, domain.PageRequest[int64]{Limit: 10}); return err },
		func() error { _, err := store.Message(ctx, tok, 1, 1); return err },
		func() error { _, err := store.Messages(ctx, tok, 1, domain.PageRequest[int64]{Limit: 10}); return err },
		func() error {
			_, err := store.SearchMessages(ctx, tok, 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 10})
			return err
		},
		func() error { _, err := store.TakenNumbers(ctx, tok, 1, 0, 10); return err },
		func() error { _, err := store.ChatSeed(ctx, tok); return err },
		func() error { _, _, err := store.MessageSeed(ctx, tok, 1); return err },
		func() error { _, _, err := store.Reserve(ctx, tok, 1, 1, 5000); return err },
		func() error { _, _, err := store.FenceChats(ctx, tok, 1); return err },
		func() error { _, _, _, err := store.FenceMessages(ctx, tok, 1, 2); return err },
		func() error { _, _, err := store.FirstAnswer(ctx, tok, "k1"); return err },
		appendDegraded(domain.ChatCreated{Token: tok, CreatedAt: at}, domain.Idempotency{}),
		appendDegraded(domain.MessageCreated{Token: tok, Chat: 1, Body: "degraded", CreatedAt: at}, domain.Idempotency{Key: "k2", Fingerprint: "f"}),
		appendDegraded(domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "degraded edit", EditedAt: at}, domain.Idempotency{}),
		appendDegraded(domain.MessageDeleted{Token: tok, Chat: 1, Number: 1, DeletedAt: at}, domain.Idempotency{}),
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	rec.mu.Lock()
	rec.on = false
	recorded := rec.list
	rec.mu.Unlock()

	// Which application each id and token belongs to.
	owner := map[any]domain.Token{}
	for _, tok := range tokens {
		owner[string(tok)] = tok
	}
	rows, err := db.Query(`SELECT a.id, a.token, c.id, m.id FROM applications a
		LEFT JOIN chats c ON c.application_id = a.id LEFT JOIN messages m ON m.chat_id = c.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var app int64
		var token string
		var chat, msg sql.NullInt64
		if err := rows.Scan(&app, &token, &chat, &msg); err != nil {
			t.Fatal(err)
		}
		owner[app] = domain.Token(token)
		if chat.Valid {
			owner[chat.Int64] = domain.Token(token)
		}
		if msg.Valid {
			owner[msg.Int64] = domain.Token(token)
		}
	}
	rows.Close()
	if len(recorded) < 20 {
		t.Fatalf("only %d statements recorded: the recorder does not see the store's", len(recorded))
	}
	for _, st := range recorded {
		apps := map[domain.Token]bool{}
		for _, a := range st.args {
			switch v := a.(type) {
			case int64:
				// Times in µs (idempotency keys') and versions of an
				// epoch's degraded band (1<<31 and up) are far above every id.
				if v >= 1_000_000 && v < 1<<31 {
					tok, ok := owner[v]
					if !ok {
						t.Fatalf("%s names id %d, of no row this test made", st.query, v)
					}
					apps[tok] = true
				}
			case string:
				if tok, ok := owner[v]; ok {
					apps[tok] = true
				}
			}
		}
		if len(apps) == 0 {
			t.Errorf("a statement names no application (a scan across all of them): %s %v", st.query, st.args)
		}
		if len(apps) > 1 {
			var names []string
			for a := range apps {
				names = append(names, string(a)[:6])
			}
			sort.Strings(names)
			t.Errorf("a statement reaches %d applications (%s): %s", len(apps), strings.Join(names, ", "), st.query)
		}
	}
}
