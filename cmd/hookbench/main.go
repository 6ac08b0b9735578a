// Command hookbench measures webhook delivery against a running api
// (production profile, CHAT_WEBHOOK_ALLOW_PRIVATE set, a worker with the
// webhooks role): it serves a receiver on -listen, creates -rate messages
// per second across -chats chats for -d, first in an application without
// an endpoint, then in one whose endpoint is the receiver, and reports
// the create rate and latency of both (what delivering costs the creates),
// the deliveries per second until every acknowledged create was delivered,
// and the lag from an event's creation to its delivery.
// scripts/bench-webhooks.sh runs it on the whole stack.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/chatsvc/chat/internal/benchhttp"
	"github.com/chatsvc/chat/internal/percentile"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "api base URL")
	listen := flag.String("listen", "127.0.0.1:18399", "where the receiver listens")
	rate := flag.Int("rate", 1000, "creates per second")
	dur := flag.Duration("d", 15*time.Second, "how long each phase creates")
	nchats := flag.Int("chats", 100, "chats the creates are spread over")
	conns := flag.Int("c", 64, "connections")
	drain := flag.Duration("drain", time.Minute, "how long to wait for the last deliveries")
	flag.Parse()
	if err := run(*base, *listen, *rate, *dur, *nchats, *conns, *drain); err != nil {
		fmt.Fprintln(os.Stderr, "hookbench:", err)
		os.Exit(1)
	}
}

// receiver keeps the first arrival of each webhook-id: its lag from the
// event's timestamp.
type receiver struct {
	mu   sync.Mutex
	seen map[string]bool
	lags []time.Duration
	last time.Time
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	var body struct {
		Timestamp time.Time `json:"timestamp"`
	}
	raw, _ := io.ReadAll(req.Body)
	_ = json.Unmarshal(raw, &body)
	r.mu.Lock()
	if id := req.Header.Get("webhook-id"); !r.seen[id] {
		r.seen[id] = true
		r.lags = append(r.lags, now.Sub(body.Timestamp))
		r.last = now
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lags)
}

// phase creates messages at rate for dur in the chats; it returns how
// many were acknowledged and their latencies.
func phase(chats []string, rate int, dur time.Duration, conns int) (int, []time.Duration, time.Duration) {
	jobs := make(chan string, conns)
	lats := make([][]time.Duration, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for url := range jobs {
				start := time.Now()
				if _, code, err := benchhttp.Post(url, map[string]any{"body": "hook bench"}); err == nil && code == 201 {
					lats[w] = append(lats[w], time.Since(start))
				}
			}
		}()
	}
	start := time.Now()
	total := int(float64(rate) * dur.Seconds())
	for i := range total {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		jobs <- chats[i%len(chats)]
	}
	close(jobs)
	wg.Wait()
	all := percentile.Sorted(lats...)
	return len(all), all, time.Since(start)
}

func chatsOf(api string, n int, name string) (string, []string, error) {
	app, code, err := benchhttp.Post(api, map[string]any{"name": name})
	if err != nil || code != 201 {
		return "", nil, fmt.Errorf("create application: %d %v", code, err)
	}
	token := app["token"].(string)
	var chats []string
	for range n {
		c, code, err := benchhttp.Post(api+"/"+token+"/chats", map[string]any{})
		if err != nil || code != 201 {
			return "", nil, fmt.Errorf("create chat: %d %v", code, err)
		}
		chats = append(chats, fmt.Sprintf("%s/%s/chats/%v/messages", api, token, c["number"]))
	}
	return token, chats, nil
}

func report(what string, n int, lats []time.Duration, took time.Duration) {
	fmt.Printf("%-22s %d acknowledged, %.0f/s, p50 %s, p99 %s\n", what+":", n, float64(n)/took.Seconds(),
		percentile.Of(lats, 50).Round(10*time.Microsecond), percentile.Of(lats, 99).Round(10*time.Microsecond))
}

func run(base, listen string, rate int, dur time.Duration, nchats, conns int, drain time.Duration) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	rcv := &receiver{seen: map[string]bool{}}
	go func() { _ = http.Serve(ln, rcv) }()
	api := base + "/api/v1/chat_applications"

	_, quiet, err := chatsOf(api, nchats, "hook bench, no endpoint")
	if err != nil {
		return err
	}
	n, lats, took := phase(quiet, rate, dur, conns)
	report("creates, no endpoint", n, lats, took)

	token, hooked, err := chatsOf(api, nchats, "hook bench")
	if err != nil {
		return err
	}
	if _, code, err := benchhttp.Post(api+"/"+token+"/webhooks", map[string]any{"url": "http://" + listen + "/hooks", "events": []string{"message.created"}}); err != nil || code != 201 {
		return fmt.Errorf("register the endpoint: %d %v (is CHAT_WEBHOOK_ALLOW_PRIVATE set?)", code, err)
	}
	start := time.Now()
	n, lats, took = phase(hooked, rate, dur, conns)
	report("creates, delivered", n, lats, took)
	deadline := time.Now().Add(drain)
	for rcv.count() < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	rcv.mu.Lock()
	got, last := len(rcv.lags), rcv.last
	delivered := percentile.Sorted(rcv.lags)
	rcv.mu.Unlock()
	fmt.Printf("deliveries:            %d of %d, %.0f/s (first create to last delivery)\n", got, n, float64(got)/last.Sub(start).Seconds())
	fmt.Printf("create to delivery:    p50 %s, p99 %s, max %s\n", percentile.Of(delivered, 50).Round(time.Millisecond),
		percentile.Of(delivered, 99).Round(time.Millisecond), percentile.Of(delivered, 100).Round(time.Millisecond))
	if got < n {
		return fmt.Errorf("%d acknowledged creates not delivered within %s", n-got, drain)
	}
	return nil
}
