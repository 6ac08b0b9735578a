package bootstrap_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// Unread counts are exact under concurrent posts, deletes and reads from
// two api instances: right after the last answer (before the worker has
// persisted everything) they are what the answers make them, and once
// persisted what the messages make them.
func TestUnreadAcrossAPIs(t *testing.T) {
	env := productionEnv(t, nil)
	apis := apiInstances(t, loadConfig(t, env), 2)
	apis[0].addWorker(env, "w0")
	unreadUnderConcurrency(t, apis)
}

func TestUnreadConcurrentEmbedded(t *testing.T) {
	unreadUnderConcurrency(t, []*stack{embeddedStack(t, nil)})
}

// acked is what the answers said: each message's author ("" for none),
// the deleted numbers, the highest position read.
type acked struct {
	mu      sync.Mutex
	author  map[int64]string
	deleted map[int64]bool
	read    int64
}

func (a *acked) unread(user string) int64 {
	var n int64
	for number, author := range a.author {
		if number > a.read && !a.deleted[number] && author != user {
			n++
		}
	}
	return n
}

func unreadUnderConcurrency(t *testing.T, apis []*stack) {
	a := apis[0]
	r := a.call(t, "POST", "/api/v1/chat_applications", map[string]any{"name": "Unread"}).want(t, 201)
	app, secret := "/api/v1/chat_applications/"+r.str("token"), r.str("secret")
	a.call(t, "PATCH", app, map[string]any{"access": "protected"}, bearerHeader(secret)...).want(t, 200)
	members := []map[string]any{{"user_id": "ann"}, {"user_id": "bob"}}
	a.call(t, "POST", app+"/chats", map[string]any{"members": members}, bearerHeader(secret)...).want(t, 201)
	ann, bob := mint(t, secret, "ann", nil, nil), mint(t, secret, "bob", nil, nil)
	writers := map[string]string{"": secret, "ann": ann, "bob": bob}
	state := &acked{author: map[int64]string{}, deleted: map[int64]bool{}}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range 25 {
				s := apis[rng.IntN(len(apis))]
				switch op := rng.IntN(10); {
				case op < 6:
					who := []string{"", "ann", "bob"}[rng.IntN(3)]
					r := s.call(t, "POST", app+"/chats/1/messages", map[string]any{"body": fmt.Sprint(w, " ", i)}, bearerHeader(writers[who])...).want(t, 201)
					state.mu.Lock()
					state.author[r.num("number")] = r.str("author") // absent: messages carry no author yet
					state.mu.Unlock()
				case op < 8:
					state.mu.Lock()
					n := int64(len(state.author))
					state.mu.Unlock()
					if n == 0 {
						continue
					}
					n = 1 + rng.Int64N(n)
					if s.call(t, "DELETE", fmt.Sprintf("%s/chats/1/messages/%d", app, n), nil, bearerHeader(secret)...).Status == 204 {
						state.mu.Lock()
						state.deleted[n] = true
						state.mu.Unlock()
					}
				default:
					state.mu.Lock()
					n := rng.Int64N(int64(len(state.author)) + 1)
					state.mu.Unlock()
					r := s.call(t, "PUT", app+"/chats/1/read", map[string]any{"through": n}, bearerHeader(ann)...).want(t, 200)
					state.mu.Lock()
					state.read = max(state.read, r.num("read_through"))
					state.mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if !slices.Contains(slices.Collect(maps.Values(state.author)), "ann") {
		t.Fatal("none of ann's own messages to leave out: the answers carry no author")
	}
	want := state.unread("ann")
	for i, s := range apis {
		if got := unreadOf(t, s, app, ann, 1); got != want {
			t.Fatalf("api %d, right after the last answer: ann's unread %d, the answers say %d", i, got, want)
		}
	}
	var live []int64
	for n := range state.author {
		if !state.deleted[n] {
			live = append(live, n)
		}
	}
	slices.Sort(live)
	eventually(t, "every message and deletion persisted", func() bool {
		var persisted []int64
		for _, m := range allMessages(t, a, app, secret, 1) {
			persisted = append(persisted, int64(m["number"].(float64)))
		}
		return slices.Equal(persisted, live)
	})
	for i, s := range apis {
		if got, fromMessages := unreadOf(t, s, app, ann, 1), unreadFromMessages(t, s, app, secret, "ann", 1, state.read); got != fromMessages || got != want {
			t.Fatalf("api %d, persisted: ann's unread %d, the messages say %d, the answers %d", i, got, fromMessages, want)
		}
	}
}
