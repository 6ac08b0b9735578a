package bootstrap_test

import (
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/bootstrap"
)

// retentionEnv sweeps often, in small batches.
var retentionEnv = map[string]string{
	"CHAT_RETENTION_SWEEP_INTERVAL": "200ms",
	"CHAT_JOB_POLL_INTERVAL":        "100ms",
	"CHAT_JOB_BATCH":                "4",
	"CHAT_JOB_PAUSE":                "10ms",
}

// sweepClock is the sweep's now: the real one until the test moves it.
type sweepClock struct{ at atomic.Pointer[time.Time] }

func (c *sweepClock) Now() time.Time {
	if at := c.at.Load(); at != nil {
		return *at
	}
	return time.Now()
}

func (c *sweepClock) decorate() fx.Option {
	return fx.Decorate(func(r *application.JobRunner) *application.JobRunner { return r.WithSweepClock(c) })
}

func TestRetentionEmbedded(t *testing.T) {
	clock := &sweepClock{}
	retentionCase(t, embeddedStack(t, retentionEnv, clock.decorate()), clock)
}

func TestRetentionProduction(t *testing.T) {
	clock := &sweepClock{}
	env := productionEnv(t, maps.Clone(retentionEnv))
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	startApp(t, bootstrap.Worker(loadConfig(t, with(env, "CHAT_CONSUMER_NAME", "w0"))), clock.decorate())
	var srv *httpapi.Server
	startApp(t, bootstrap.API(cfg), fx.Populate(&srv))
	s.URL = "http://" + srv.Addr()
	retentionCase(t, s, clock)
}

// retentionCase: an application keeps messages 2 days, one chat 30; once
// the sweep's clock is 2 days past the first messages, they are deleted
// from every read path, search and the counters, with message.deleted
// (reason retention) in the feed, while new messages keep coming and stay.
func retentionCase(t *testing.T, s *stack, clock *sweepClock) {
	tok := newApplication(t, s, "Forgetful")
	app := "/api/v1/chat_applications/" + tok
	for _, bad := range []string{`{"retention_days": 0}`, `{"retention_days": -1}`, `{"retention_days": 1.5}`, `{"retention_days": "x"}`, `{"retention_days": 36501}`} {
		s.call(t, "PATCH", app, bad).wantError(t, 422, "validation_failed")
	}
	if r := s.call(t, "GET", app, nil).want(t, 200); !strings.Contains(r.Raw, `"retention_days":null`) {
		t.Fatalf("a refused retention changed the application: %s", r.Raw)
	}
	if r := s.call(t, "PATCH", app, map[string]any{"retention_days": 2}).want(t, 200); r.num("retention_days") != 2 || r.str("name") != "Forgetful" {
		t.Fatalf("PATCH answered %s", r.Raw)
	}
	old, kept := chatWith(t, s, tok), chatWith(t, s, tok)
	const expiring = 10
	for i := range expiring {
		say(t, s, tok, old, fmt.Sprintf("ancient %d", i))
	}
	for i := range 3 {
		say(t, s, tok, kept, fmt.Sprintf("ancient kept %d", i))
	}
	settled(t, s, tok, old, expiring, "ancient", expiring)
	settled(t, s, tok, kept, 3, "ancient", 3)
	if ix := s.Config.OpenSearch; ix.URL != "" { // search answers from the database while the index is made
		eventually(t, "the index has the messages", func() bool { return openSearchCount(t, ix.URL, ix.Index) == expiring+3 })
	}
	// A chat's own retention, once the chat is persisted.
	if r := s.call(t, "PATCH", fmt.Sprintf("%s/chats/%d", app, kept), map[string]any{"retention_days": 30}).want(t, 200); r.num("retention_days") != 30 {
		t.Fatalf("PATCH chat answered %s", r.Raw)
	}
	s.call(t, "PATCH", app+"/chats/99", map[string]any{"retention_days": 30}).wantError(t, 404, "not_found")
	s.call(t, "PATCH", fmt.Sprintf("%s/chats/%d", app, kept), `{"retention_days": 0}`).wantError(t, 422, "validation_failed")

	// created_at keeps microseconds: what is created from now on is not before switchAt.
	switchAt := time.Now().Truncate(time.Microsecond)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var fresh atomic.Int64
	wg.Add(1)
	go func() { // writes go on while the sweep runs
		defer wg.Done()
		for i := 0; i < 150; i++ { // a page holds them all
			select {
			case <-stop:
				return
			default:
			}
			say(t, s, tok, old, fmt.Sprintf("fresh %d", i))
			fresh.Add(1)
		}
	}()
	later := switchAt.Add(48 * time.Hour)
	clock.at.Store(&later)

	base := fmt.Sprintf("%s/chats/%d/messages", app, old)
	eventually(t, "the expired messages deleted", func() bool {
		for n := 1; n <= expiring; n++ {
			if s.call(t, "GET", fmt.Sprintf("%s/%d", base, n), nil).Status != 404 {
				return false
			}
		}
		return true
	})
	close(stop)
	wg.Wait()
	total := int(fresh.Load())
	var last string
	defer func() {
		if t.Failed() {
			t.Log(last)
		}
	}()
	eventually(t, "every read path without them", func() bool {
		list := s.call(t, "GET", base+"?limit=200", nil)
		chat := s.call(t, "GET", fmt.Sprintf("%s/chats/%d", app, old), nil)
		last = fmt.Sprintf("list %d (want %d), chat %s", len(list.items(t)), total, chat.Raw)
		return list.Status == 200 && len(list.items(t)) == total && !strings.Contains(list.Raw, "ancient") &&
			chat.num("messages_count") == int64(total)
	})
	// The index follows its own consumer group, which may be further behind
	// the writes (wait_for refreshes in the tests' OpenSearch): a longer wait.
	deadline := time.Now().Add(90 * time.Second)
	for {
		search := s.call(t, "GET", base+"/search?q=ancient", nil)
		if search.Status == 200 && len(search.items(t)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search still finds expired messages: %s", search.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	settled(t, s, tok, kept, 3, "ancient", 3) // its own 30 days
	feed := s.call(t, "GET", app+"/events?limit=200", nil).want(t, 200)
	if n := strings.Count(feed.Raw, `"reason":"retention"`); n != expiring {
		t.Fatalf("%d message.deleted with reason retention in the feed, want %d", n, expiring)
	}
}
