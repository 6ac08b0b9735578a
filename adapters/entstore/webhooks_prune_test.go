package entstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/webhook"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// The feed's events and the finished deliveries go once older than what
// is kept, in batches, on the clock the pruner is given; the newer ones
// and the pending deliveries (however old) stay. No test waits a week:
// the clock is moved.
func TestPruneKeepsWhatIsWithinItsKeeping(t *testing.T) {
	for _, name := range []string{dialect.MySQL, dialect.SQLite} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, db := pruneStore(t, name)
			w := s.Webhooks(func(domain.Event) ([]byte, error) { return []byte(`{}`), nil })
			token := domain.NewToken()
			t0 := time.Now().UTC().Truncate(time.Millisecond)
			filter, _ := domain.WebhookEventFilter(nil)
			if err := w.CreateWebhook(ctx, token, domain.WebhookEndpoint{ID: domain.NewWebhookID(), URL: "http://127.0.0.1:1/", Events: filter, CreatedAt: t0}, "whsec_x"); err != nil {
				t.Fatal(err)
			}
			// Chats 1 (three messages, delivered), 2 (pending, in retry) and 4 (given
			// up) at t0; chat 3 six days later, delivered then.
			var logged []webhook.Logged
			for _, e := range []struct{ chat, number int64 }{{1, 1}, {1, 2}, {1, 3}, {2, 1}, {4, 1}} {
				logged = append(logged, webhook.Logged{Event: domain.MessageCreated{Token: token, Chat: e.chat, Number: e.number, Body: "old", CreatedAt: t0}})
			}
			later := t0.Add(6 * 24 * time.Hour)
			logged = append(logged, webhook.Logged{Event: domain.MessageCreated{Token: token, Chat: 3, Number: 1, Body: "new", CreatedAt: later}})
			if err := w.Enqueue(ctx, nil, logged); err != nil {
				t.Fatal(err)
			}
			runs, err := w.Claim(ctx, later, time.Minute, 10, 10, nil)
			if err != nil || len(runs) != 4 {
				t.Fatalf("claimed %d runs, %v; want one a chat", len(runs), err)
			}
			for _, run := range runs {
				var done []webhook.Recorded
				for _, d := range run {
					r := webhook.Result{State: domain.DeliveryDelivered, Status: 204, NextAttempt: d.CreatedAt.Add(time.Second)}
					switch chatOf(t, db, d.Row) {
					case 2: // to be tried again, long ago: still pending
						r.State, r.Status = domain.DeliveryPending, 500
					case 4:
						r.State = domain.DeliveryFailed
					}
					done = append(done, webhook.Recorded{Row: d.Row, Result: r})
				}
				if err := w.Record(ctx, done); err != nil {
					t.Fatal(err)
				}
			}

			clock := later // a day before the old ones' week is out
			removed := map[string]int{}
			p := webhook.NewPruner(webhook.PruneConfig{Keep: 7 * 24 * time.Hour, Batch: 2}, w, func() time.Time { return clock },
				func(kind string, n int) { removed[kind] += n })
			if e, d, err := p.Once(ctx); err != nil || e+d != 0 {
				t.Fatalf("within the week: %d events, %d deliveries removed, %v", e, d, err)
			}
			clock = t0.Add(7*24*time.Hour + time.Hour)
			if e, d, err := p.Once(ctx); err != nil || e != 5 || d != 4 || removed["events"] != 5 || removed["deliveries"] != 4 {
				t.Fatalf("a week on: %d events, %d deliveries removed (heard %v), %v; want 5 and 4", e, d, removed, err)
			}
			if got := countOf(t, db, "SELECT COUNT(*) FROM app_events"); got != 1 {
				t.Fatalf("%d events left, want chat 3's", got)
			}
			if got := countOf(t, db, "SELECT COUNT(*) FROM webhook_deliveries WHERE (chat = 2 AND state = 'pending') OR (chat = 3 AND state = 'delivered')"); got != 2 {
				t.Fatalf("deliveries left: %d of chat 2's pending one and chat 3's, want both", got)
			}
			if got := countOf(t, db, "SELECT COUNT(*) FROM webhook_deliveries"); got != 2 {
				t.Fatalf("%d deliveries left, want 2", got)
			}
		})
	}
}

func pruneStore(t *testing.T, name string) (*entstore.Store, *sql.DB) {
	t.Helper()
	var db *sql.DB
	var err error
	if name == dialect.MySQL {
		db, err = entstore.OpenMySQL(testenv.MySQLDSN(t), 4) // migrated by testenv
	} else if db, err = entstore.OpenSQLite(t.TempDir()); err == nil {
		_, err = entstore.Migrate(context.Background(), db, "sqlite3")
	}
	if err != nil {
		t.Fatal(err)
	}
	s := entstore.New(db, name)
	t.Cleanup(func() { s.Close() })
	return s, db
}

func chatOf(t *testing.T, db *sql.DB, row int64) int64 {
	t.Helper()
	return countOf(t, db, "SELECT chat FROM webhook_deliveries WHERE id = ?", row)
}

func countOf(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
