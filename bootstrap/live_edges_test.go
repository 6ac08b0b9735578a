package bootstrap_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/internal/testenv"
)

// An idle live stream sends a comment line every CHAT_LIVE_HEARTBEAT, so
// that proxies keep it open.
func TestLiveHeartbeat(t *testing.T) {
	s := embeddedStack(t, map[string]string{"CHAT_LIVE_HEARTBEAT": "100ms"})
	app := "/api/v1/chat_applications/" + newApplication(t, s, "Idle")
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	eventually(t, "the chat persisted", func() bool { return s.call(t, "GET", app+"/chats/1", nil).Status == 200 })
	// Well under the default 15 s: the setting is what paces the comments.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+app+"/chats/1/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET events: %d", res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	for heartbeats := 0; heartbeats < 3; {
		if !sc.Scan() {
			t.Fatalf("the idle stream sent %d heartbeats before it ended: %v", heartbeats, sc.Err())
		}
		switch line := sc.Text(); {
		case line == ": heartbeat":
			heartbeats++
		case line != "" && !strings.HasPrefix(line, ":"):
			t.Fatalf("an idle stream sent %q", line)
		}
	}
}

// A number taken whose message never comes (its event lost, or skipped by
// a fence) is reported: as a gap event on the live stream, and in the long
// poll's gaps once it has waited for it a while, so that a client that
// follows a chat is never stuck behind it.
func TestLiveGapOverHTTP(t *testing.T) {
	redisAddr := testenv.RedisAddr(t)
	s := productionStack(t, map[string]string{"CHAT_REDIS_ADDR": redisAddr})
	tok := newApplication(t, s, "Gaps")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	eventually(t, "the chat persisted", func() bool { return s.call(t, "GET", app+"/chats/1", nil).Status == 200 })
	st := follow(t, s, app+"/chats/1/events")
	msgs := app + "/chats/1/messages"
	s.call(t, "POST", msgs, map[string]any{"body": "one"}).want(t, 201)

	// Number 2 is taken in the chat's sequence (adapters/redis: the chat
	// hash's m), and no event carries it.
	rc := goredis.NewClient(&goredis.Options{Addr: redisAddr})
	defer rc.Close()
	ctx := context.Background()
	var key string
	it := rc.Scan(ctx, 0, "chat:*:"+tok+":chat:1", 1000).Iterator()
	for it.Next(ctx) {
		key = it.Val()
	}
	if it.Err() != nil || key == "" {
		t.Fatalf("the chat's sequence in Redis: %q %v", key, it.Err())
	}
	if err := rc.HIncrBy(ctx, key, "m", 1).Err(); err != nil {
		t.Fatal(err)
	}
	if n := s.call(t, "POST", msgs, map[string]any{"body": "three"}).want(t, 201).num("number"); n != 3 {
		t.Fatalf("the message after the lost number is %d, want 3", n)
	}
	st.want(t, "message.created 1 one", "gap 2-2", "message.created 3 three")

	r := s.call(t, "GET", msgs+"?after=1&wait=8s", nil).want(t, 200)
	items := r.items(t)
	gaps, _ := r.Body["gaps"].([]any)
	if len(items) != 1 || items[0]["body"] != "three" || r.num("through") != 3 || len(gaps) != 1 {
		t.Fatalf("long poll after 1 with 2 never coming: %s", r.Raw)
	}
	if g := gaps[0].(map[string]any); g["from"] != 2.0 || g["to"] != 2.0 {
		t.Fatalf("gap %v, want 2-2", g)
	}
}
