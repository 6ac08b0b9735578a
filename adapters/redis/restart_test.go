package redis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	redisadapter "github.com/chatsvc/chat/adapters/redis"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// A Redis killed (SIGKILL) and started again from an AOF that lost its last
// writes (the OS had not written an everysec AOF's tail to disk: the last
// second a crash loses) is behind what it handed out. With the history check
// its sequences are fenced in MySQL and resume above every number handed out
// before the crash; without it, the restarted Redis hands those numbers out
// again. Real parts: a redis-server restarted from its own AOF, and the
// fences of the MySQL store.
func TestSequencerNeverReissuesAfterARestartFromALaggingAOF(t *testing.T) {
	for _, check := range []bool{true, false} {
		t.Run(fmt.Sprintf("check=%v", check), func(t *testing.T) {
			reissued := restartFromALaggingAOF(t, check)
			if check && reissued != "" {
				t.Fatalf("handed out again after the restart: %s", reissued)
			}
			if !check && reissued == "" {
				t.Fatal("without the check nothing was handed out again: the test does not show the hazard")
			}
		})
	}
}

func restartFromALaggingAOF(t *testing.T, check bool) (reissued string) {
	ctx := context.Background()
	fatal := fatalOn(t)
	store := mysqlStore(t)
	server := testenv.OwnPersistentRedis(t)
	c, err := redisadapter.Connect(server.Addr)
	fatal(err)
	t.Cleanup(c.Close)
	seq := redisadapter.NewSequencer(c, store, redisadapter.Config{Lease: 8, HistoryCheck: check})

	name, _ := domain.NewName("restart")
	tok := domain.NewToken()
	now := time.Now().UTC().Truncate(time.Second)
	fatal(store.CreateApplication(ctx, domain.Application{Token: tok, Name: name, CreatedAt: now, UpdatedAt: now}))
	fatal(seq.RegisterApplication(ctx, tok))

	handed := map[string]bool{}
	var again []string
	// take hands out the draft's number, retrying while Redis is coming
	// back (as a client retries a 503), and records it. The restore checks
	// MySQL's history first: under a loaded CI machine that took over 10 s.
	take := func(draft domain.Event) domain.Event {
		t.Helper()
		ev, _, err := seq.Append(ctx, draft, domain.Idempotency{})
		for deadline := time.Now().Add(30 * time.Second); err != nil && time.Now().Before(deadline); {
			ev, _, err = seq.Append(ctx, draft, domain.Idempotency{})
		}
		fatal(err)
		_, chat, n, v, _ := domain.Subject(ev)
		key := fmt.Sprintf("%T %d/%d/%d", ev, chat, n, v)
		if handed[key] {
			again = append(again, key)
		}
		handed[key] = true
		return ev
	}
	// next takes a chat number, a message number of chat 1 and an edit
	// version of its message 1.
	next := func() []domain.Event {
		return []domain.Event{
			take(domain.ChatCreated{Token: tok, CreatedAt: now}),
			take(domain.MessageCreated{Token: tok, Chat: 1, Body: "m", CreatedAt: now}),
			take(domain.MessageEdited{Token: tok, Chat: 1, Number: 1, Body: "e", EditedAt: now}),
		}
	}
	persisted := []domain.Event{take(domain.ChatCreated{Token: tok, CreatedAt: now})}
	for range 5 {
		persisted = append(persisted, next()...)
	}
	// A worker persisted all of it, and the AOF holds it.
	_, err = store.ApplyEvents(ctx, persisted)
	fatal(err)
	aof, synced := aofTail(t, server.Dir)

	// More is handed out (past a lease: MySQL reserves more), then Redis
	// crashes and the AOF's tail since the last sync is lost.
	for range 5 {
		next()
	}
	server.Kill()
	fatal(os.Truncate(aof, synced))
	server.Start()

	for range 8 {
		next()
	}
	return strings.Join(again, ", ")
}

// aofTail names the AOF file Redis appends to in dir, and its length.
func aofTail(t *testing.T, dir string) (string, int64) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	if err != nil || len(files) != 1 {
		t.Fatalf("the AOF in %s: %v %v", dir, files, err)
	}
	info, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return files[0], info.Size()
}

// fatalOn fails t on an error.
func fatalOn(t *testing.T) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// mysqlStore is the MySQL store, in a database of the test's own: the
// fences and the projection.
func mysqlStore(t *testing.T) *entstore.Store {
	t.Helper()
	db, err := entstore.OpenMySQL(testenv.MySQLDSN(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	store := entstore.New(db, dialect.MySQL)
	t.Cleanup(func() { store.Close() })
	return store
}
