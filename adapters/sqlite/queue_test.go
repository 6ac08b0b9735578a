package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/sqlite"
	"github.com/chatsvc/chat/domain"
)

// appQueue is a started queue of maxBatch over a new database, writing
// through the store, and an application registered in both.
func appQueue(t testing.TB, maxBatch int, committed sqlite.Committed) (*sqlite.Queue, *entstore.Store, domain.Application) {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	store := entstore.New(db, dialect.SQLite)
	t.Cleanup(func() { store.Close() })
	seq := sqlite.NewSequencer(db, store)
	q := sqlite.NewQueue(seq, store.ApplyAllocated, committed, maxBatch)
	q.Start()
	t.Cleanup(q.Close)
	name, _ := domain.NewName("app")
	app := domain.Application{Token: domain.NewToken(), Name: name, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := seq.RegisterApplication(ctx, app.Token); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	return q, store, app
}

// Concurrent creates share transactions: every create is answered with a
// number that is unique and gapless, and its row is in the database when
// the answer comes. A draft the sequencer refuses fails alone.
func TestQueueGroupCommits(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	committed, groups := 0, 0
	q, store, app := appQueue(t, 64, func(events []domain.Event, _ domain.Touched) {
		mu.Lock()
		committed += len(events)
		groups++
		mu.Unlock()
	})
	if _, _, err := q.Append(ctx, domain.ChatCreated{Token: app.Token, CreatedAt: time.Now().UTC()}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	const n = 300
	numbers := make(chan int64, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ev, _, err := q.Append(ctx, domain.MessageCreated{Token: app.Token, Chat: 1, Body: fmt.Sprint("m", i), CreatedAt: time.Now().UTC()}, domain.Idempotency{})
			if err != nil {
				t.Error(err)
				return
			}
			m := ev.(domain.MessageCreated)
			if got, err := store.Message(ctx, app.Token, 1, m.Number); err != nil || got.Body.String() != m.Body {
				t.Errorf("message %d answered but not stored: %+v %v", m.Number, got, err)
			}
			numbers <- m.Number
		}(i)
		if i%50 == 0 { // a refused draft among them fails alone
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := q.Append(ctx, domain.MessageCreated{Token: app.Token, Chat: 9, Body: "x", CreatedAt: time.Now().UTC()}, domain.Idempotency{}); !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("a message in a chat never created: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	close(numbers)
	var got []int64
	for v := range numbers {
		got = append(got, v)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("numbers[%d] = %d, want %d", i, v, i+1)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if committed != n+1 || groups > n/2 {
		t.Fatalf("%d events committed in %d groups; want %d in far fewer groups than creates", committed, groups, n+1)
	}
}

// Making a queue starts nothing: an append waits for Start (here until its
// deadline), nothing reaches the database, and a queue never started closes.
func TestQueueWritesOnlyOnceStarted(t *testing.T) {
	db := openDB(t, t.TempDir())
	store := entstore.New(db, dialect.SQLite)
	t.Cleanup(func() { store.Close() })
	applied := false
	q := sqlite.NewQueue(sqlite.NewSequencer(db, store), func(context.Context, func(context.Context, entstore.SQLTx) ([]domain.Event, error)) (domain.Touched, error) {
		applied = true
		return domain.Touched{}, nil
	}, func([]domain.Event, domain.Touched) {}, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := q.Append(ctx, domain.ChatCreated{Token: domain.NewToken(), CreatedAt: time.Now().UTC()}, domain.Idempotency{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an append before Start: %v, want it to wait", err)
	}
	q.Close()
	if applied {
		t.Fatal("a queue never started wrote")
	}
}
