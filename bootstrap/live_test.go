package bootstrap_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/internal/testenv"
)

type sseEvent struct {
	ID, Kind string
	Data     map[string]any
}

// String is how the tests compare events: "message.created 1 hello".
func (e sseEvent) String() string {
	switch e.Kind {
	case "gap":
		return fmt.Sprintf("gap %v-%v", e.Data["from"], e.Data["to"])
	case "message.deleted":
		return fmt.Sprintf("%s %v", e.Kind, e.Data["number"])
	}
	return fmt.Sprintf("%s %v %v", e.Kind, e.Data["number"], e.Data["body"])
}

type sseStream struct {
	res    *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

// follow opens a live stream; the events it reads wait in a channel.
func follow(t *testing.T, s *stack, path string, headers ...string) *sseStream {
	t.Helper()
	st, err := openStream(s, path, headers...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.close)
	return st
}

// openStream opens a live stream, as follow does, for a caller that
// closes it itself.
func openStream(s *stack, path string, headers ...string) (*sseStream, error) {
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		res.Body.Close()
		return nil, fmt.Errorf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	st := &sseStream{res: res, events: make(chan sseEvent, 100), cancel: cancel}
	go func() {
		defer close(st.events)
		sc := bufio.NewScanner(res.Body)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.Kind != "" {
					st.events <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.Kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &e.Data)
			}
		}
	}()
	return st, nil
}

func (st *sseStream) close() { st.cancel(); st.res.Body.Close() }

// next is the stream's next event within the wait ("" if none came).
func (st *sseStream) next(wait time.Duration) (sseEvent, bool) {
	select {
	case e, ok := <-st.events:
		return e, ok
	case <-time.After(wait):
		return sseEvent{}, false
	}
}

// take is the stream's next n events, fewer if the stream ends or 10 s
// pass without one.
func (st *sseStream) take(n int) []sseEvent {
	var got []sseEvent
	for range n {
		e, ok := st.next(10 * time.Second)
		if !ok {
			break
		}
		got = append(got, e)
	}
	return got
}

func (st *sseStream) want(t *testing.T, want ...string) []sseEvent {
	t.Helper()
	got := st.take(len(want))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	return got
}

// liveSuite: a client follows a chat on one api while messages are
// created, edited and deleted through another (or the same), resumes after
// a disconnect, and never sees another application's events.
func liveSuite(t *testing.T, reader, writer *stack) {
	tok := newApplication(t, writer, "Live")
	other := newApplication(t, writer, "Elsewhere")
	app := "/api/v1/chat_applications/" + tok
	writer.call(t, "POST", app+"/chats", nil).want(t, 201)
	writer.call(t, "POST", "/api/v1/chat_applications/"+other+"/chats", nil).want(t, 201)
	eventually(t, "the chats persisted", func() bool {
		return reader.call(t, "GET", app+"/chats/1", nil).Status == 200 &&
			reader.call(t, "GET", "/api/v1/chat_applications/"+other+"/chats/1", nil).Status == 200
	})
	events := app + "/chats/1/events"
	st := follow(t, reader, events)
	msgs := app + "/chats/1/messages"
	writer.call(t, "POST", msgs, map[string]any{"body": "one"}).want(t, 201)
	writer.call(t, "POST", "/api/v1/chat_applications/"+other+"/chats/1/messages", map[string]any{"body": "not yours"}).want(t, 201)
	writer.call(t, "POST", msgs, map[string]any{"body": "two"}).want(t, 201)
	// Edited once persisted, the message's event carries its creation time.
	eventually(t, "message 1 persisted", func() bool { return writer.call(t, "GET", msgs+"/1", nil).Status == 200 })
	createdAt := writer.call(t, "GET", msgs+"/1", nil).str("created_at")
	writer.call(t, "PATCH", msgs+"/1", map[string]any{"body": "one, edited"}).want(t, 200)
	writer.call(t, "DELETE", msgs+"/2", nil).want(t, 204)
	got := st.want(t, "message.created 1 one", "message.created 2 two", "message.edited 1 one, edited", "message.deleted 2")
	for _, e := range got {
		if e.ID == "" {
			t.Fatalf("%v has no id", e)
		}
	}
	if got[0].Data["created_at"] == nil || got[0].Data["updated_at"] == nil {
		t.Fatalf("created event without its times: %v", got[0].Data)
	}
	if at, _ := got[2].Data["created_at"].(string); !sameTime(at, createdAt) {
		t.Fatalf("edited event's created_at %q, the message's %q", at, createdAt)
	}
	st.close()

	// Disconnected: what is created meanwhile comes on resuming, once.
	writer.call(t, "POST", msgs, map[string]any{"body": "three"}).want(t, 201)
	resumed := follow(t, reader, events, "Last-Event-ID", got[1].ID)
	resumed.want(t, "message.edited 1 one, edited", "message.deleted 2", "message.created 3 three")
	writer.call(t, "POST", msgs, map[string]any{"body": "four"}).want(t, 201)
	resumed.want(t, "message.created 4 four")
	if e, ok := resumed.next(300 * time.Millisecond); ok {
		t.Fatalf("an event more: %v", e)
	}
	follow(t, reader, events+"?after="+got[3].ID).want(t, "message.created 3 three", "message.created 4 four")

	// The long poll: at once when there is something after N, else on the
	// next create, else an empty answer when the wait ends.
	eventually(t, "four messages persisted", func() bool {
		r := reader.call(t, "GET", msgs+"?after=3", nil)
		return r.Status == 200 && len(r.items(t)) == 1
	})
	r := reader.call(t, "GET", msgs+"?wait=5s", nil).want(t, 200)
	if got := fmt.Sprint(len(r.items(t)), " ", r.num("through")); got != "3 4" {
		t.Fatalf("long poll from the start: %s items, through (want 3 4: 2 was deleted): %s", got, r.Raw)
	}
	answered := make(chan response, 1)
	open := liveStreams(t, reader)
	go func() { answered <- reader.call(t, "GET", msgs+"?after=4&wait=15s", nil) }()
	eventually(t, "the long poll waits (follows the chat)", func() bool { return liveStreams(t, reader) > open })
	writer.call(t, "POST", msgs, map[string]any{"body": "five"}).want(t, 201)
	r = <-answered
	if r.Status != 200 || len(r.items(t)) != 1 || r.items(t)[0]["body"] != "five" || r.num("through") != 5 {
		t.Fatalf("long poll woken by a create: %s", r.Raw)
	}
	if r := reader.call(t, "GET", msgs+"?after=5&wait=300ms", nil).want(t, 200); len(r.items(t)) != 0 || r.num("through") != 5 {
		t.Fatalf("long poll with nothing new: %s", r.Raw)
	}
	for _, q := range []string{"?wait=soon", "?wait=2m", "?wait=-1s"} {
		reader.call(t, "GET", msgs+q, nil).wantError(t, 400, "bad_request")
	}
	// A long poll follows what comes after N: walking elsewhere makes no sense.
	for _, q := range []string{"?after=4&wait=30s&order=desc", "?before=3&wait=30s", "?around=5&wait=30s"} {
		reader.call(t, "GET", msgs+q, nil).wantError(t, 400, "bad_request")
	}

	// Refused: a position of another form, a chat or an application that does not exist.
	reader.call(t, "GET", events, nil, "Last-Event-ID", "not-a-position!").wantError(t, 400, "bad_request")
	reader.call(t, "GET", app+"/chats/99/events", nil).wantError(t, 404, "not_found")
	reader.call(t, "GET", "/api/v1/chat_applications/"+other+"x/chats/1/events", nil).wantError(t, 404, "not_found")
}

func TestLiveEmbedded(t *testing.T) {
	s := embeddedStack(t, nil)
	liveSuite(t, s, s)
}

// Two api instances: a client on one receives what the other created.
func TestLiveAcrossAPIs(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, redisAddr string) {
		env := productionEnv(t, map[string]string{"CHAT_REDIS_ADDR": redisAddr})
		apis := apiInstances(t, loadConfig(t, env), 2)
		apis[0].addWorker(env, "w0")
		liveSuite(t, apis[0], apis[1])
	})
}

// The caps answer 429, and stopping the instance ends its streams.
func TestLiveBounds(t *testing.T) {
	env := baseEnv(map[string]string{"CHAT_LIVE_MAX_STREAMS_PER_APP": "1", "CHAT_DATA_DIR": t.TempDir()})
	cfg := loadConfig(t, env)
	var srv *httpapi.Server
	app := fx.New(bootstrap.API(cfg), fx.Populate(&srv), fx.NopLogger)
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &stack{URL: "http://" + srv.Addr(), Config: cfg, t: t}
	tok := newApplication(t, s, "capped")
	path := "/api/v1/chat_applications/" + tok + "/chats/"
	s.call(t, "POST", path, nil).want(t, 201)
	s.call(t, "POST", path, nil).want(t, 201)
	eventually(t, "persisted", func() bool { return s.call(t, "GET", path+"2", nil).Status == 200 })
	st := follow(t, s, path+"1/events")
	r := s.call(t, "GET", path+"2/events", nil)
	r.wantError(t, 429, "too_many_streams")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- app.Stop(context.Background()) }()
	if _, ok := st.next(10 * time.Second); ok {
		t.Fatal("an event instead of the end of the stream")
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

func sameTime(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	return errA == nil && errB == nil && ta.Equal(tb)
}

// liveStreams is the number of live streams (long polls among them) the
// instance has open, from its metrics.
func liveStreams(t *testing.T, s *stack) int {
	t.Helper()
	for _, line := range strings.Split(s.call(t, "GET", "/metrics", nil).want(t, 200).Raw, "\n") {
		if v, ok := strings.CutPrefix(line, "chat_live_streams "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("chat_live_streams %q", v)
			}
			return n
		}
	}
	t.Fatal("no chat_live_streams in the metrics")
	return 0
}
