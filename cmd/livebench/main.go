// Command livebench measures live delivery against a running api
// (production profile, worker running). By default it opens -per live
// streams on each of -chats chats (spread over applications of 10 chats,
// so that the default per-application cap of 100 streams holds); with
// -users it opens one GET …/me/events stream per user instead, -users
// users each a member of -user-chats chats of -members members (in
// protected applications of -per-app users: users.go). Either way it
// creates -rate messages per second across the chats for -d and reports
// the delivery latency (create answered -> event received by a stream),
// the api's memory per open stream (-pid: its RSS before and after
// opening them), and the create rate as fast as -c connections go,
// without streams and with them open. scripts/bench-live.sh runs it on
// the whole stack.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatsvc/chat/internal/benchhttp"
	"github.com/chatsvc/chat/internal/percentile"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "api base URL")
	chats := flag.Int("chats", 1000, "chats followed")
	per := flag.Int("per", 10, "streams per chat")
	rate := flag.Int("rate", 1000, "creates per second while measuring delivery")
	dur := flag.Duration("d", 15*time.Second, "how long each phase lasts")
	conns := flag.Int("c", 64, "connections for the as-fast-as-possible create phases")
	pid := flag.Int("pid", 0, "the api's process id, for its memory")
	worker := flag.String("worker", "", "the worker's /metrics: each create phase starts once it has caught up")
	users := flag.Int("users", 0, "users, each with one GET …/me/events stream (0: streams of chats, -chats and -per)")
	userChats := flag.Int("user-chats", 20, "with -users: the chats each user is a member of")
	members := flag.Int("members", 50, "with -users: the members of each chat")
	perApp := flag.Int("per-app", 100, "with -users: users per application (the default per-application cap is 100 streams)")
	flag.Parse()
	workerMetrics = *worker
	api := *base + "/api/v1/chat_applications"
	var (
		setup bench
		err   error
	)
	if *users > 0 {
		setup, err = usersBench(api, *users, *userChats, *members, *perApp)
	} else {
		setup, err = chatsBench(api, *chats, *per)
	}
	if err == nil {
		err = setup.run(*rate, *dur, *conns, *pid)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "livebench:", err)
		os.Exit(1)
	}
}

// chatRef is a chat the benchmark creates messages in: its URL, the key
// its events are received under, and the credential a create takes (""
// in an open application).
type chatRef struct{ path, key, bearer string }

// stream is a live stream to open: its URL, its credential, and how an
// event's line is read: the key of its chat and its number.
type stream struct {
	url, bearer string
	key         func(line []byte) (string, bool)
}

// bench is what a run measures: the followed chats, the streams, and how
// many streams each create reaches.
type bench struct {
	api     string // …/api/v1/chat_applications
	chats   []chatRef
	streams []stream
	fanout  int
}

// numberAfter reads the number at the start of rest, up to a comma.
func numberAfter(rest []byte) (string, bool) {
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return "", false
	}
	return string(rest[:end]), true
}

func rss(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// chatsBench makes the chats, per streams on each.
func chatsBench(api string, nchats, per int) (bench, error) {
	var chats []chatRef
	for len(chats) < nchats {
		app, code, err := benchhttp.Post(api, map[string]any{"name": "live bench"})
		if err != nil || code != 201 {
			return bench{}, fmt.Errorf("create application: %d %v", code, err)
		}
		for i := 0; i < 10 && len(chats) < nchats; i++ {
			path := api + "/" + app["token"].(string) + "/chats"
			c, code, err := benchhttp.Post(path, map[string]any{})
			if err != nil || code != 201 {
				return bench{}, fmt.Errorf("create chat: %d %v", code, err)
			}
			chats = append(chats, chatRef{path: fmt.Sprintf("%s/%v", path, c["number"]), key: strconv.Itoa(len(chats))})
		}
	}
	b := bench{api: api, chats: chats, fanout: per}
	for _, c := range chats {
		for range per {
			b.streams = append(b.streams, stream{url: c.path + "/events", key: func(line []byte) (string, bool) {
				rest, ok := bytes.CutPrefix(line, []byte(`data: {"number":`))
				if !ok {
					return "", false
				}
				n, ok := numberAfter(rest)
				return c.key + "#" + n, ok
			}})
		}
	}
	fmt.Printf("== %d chats followed, over %d applications\n", len(chats), (len(chats)+9)/10)
	return b, nil
}

// quietChats are chats nobody follows, in an open application of their own.
func quietChats(api string) ([]chatRef, error) {
	app, code, err := benchhttp.Post(api, map[string]any{"name": "unfollowed"})
	if err != nil || code != 201 {
		return nil, fmt.Errorf("create application: %d %v", code, err)
	}
	var quiet []chatRef
	for range 10 {
		path := api + "/" + app["token"].(string) + "/chats"
		c, _, err := benchhttp.Post(path, map[string]any{})
		if err != nil {
			return nil, err
		}
		quiet = append(quiet, chatRef{path: fmt.Sprintf("%s/%v", path, c["number"])})
	}
	return quiet, nil
}

// persisted waits until every chat can be read (and followed).
func persisted(chats []chatRef) {
	for _, c := range chats {
		for {
			req, _ := http.NewRequest("GET", c.path, nil)
			if c.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+c.bearer)
			}
			res, err := benchhttp.Client.Do(req)
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					break
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// run measures: the create rate with no streams open, the streams opened
// (memory), delivery latency under paced creates, and the create rate
// with the streams open, on chats nobody follows and on followed ones.
func (b bench) run(rate int, dur time.Duration, conns, pid int) error {
	chats := b.chats
	// The create rate is compared on chats nobody follows: what holding
	// the streams open costs; delivering to them is measured apart.
	quiet, err := quietChats(b.api)
	if err != nil {
		return err
	}
	persisted(append(append([]chatRef{}, chats...), quiet...))
	fmt.Printf("== %d chats nobody follows\n", len(quiet))

	rate0 := closedLoop(quiet, conns, dur)
	fmt.Printf("creates, no streams open:   %8.0f/s\n", rate0)

	// Open the streams.
	before := rss(pid)
	var sent sync.Map // "chat#number" -> time the create was answered
	type receipt struct {
		key string
		at  time.Time
	}
	receipts := make(chan receipt, 1<<22)
	var received, opened, ended atomic.Int64 // ended: streams the api ended (a dropped client)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	sem := make(chan struct{}, 200)
	for si, st := range b.streams {
		sem <- struct{}{}
		req, _ := http.NewRequest("GET", st.url, nil)
		if st.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+st.bearer)
		}
		res, err := (&http.Client{Transport: streamTransport}).Do(req)
		<-sem
		if err != nil || res.StatusCode != 200 {
			return fmt.Errorf("open stream %d (%s): %v %v", si, st.url, err, res)
		}
		opened.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				key, ok := st.key(sc.Bytes())
				if !ok {
					continue
				}
				select {
				case receipts <- receipt{key, time.Now()}:
				default:
				}
				received.Add(1)
				select {
				case <-stop:
					return
				default:
				}
			}
			ended.Add(1)
		}()
	}
	time.Sleep(2 * time.Second)
	after := rss(pid)
	fmt.Printf("streams open:               %8d (api RSS %d MB -> %d MB: %.1f KB per stream)\n",
		opened.Load(), before>>20, after>>20, float64(after-before)/float64(opened.Load())/1024)

	// Paced creates across the chats: delivery latency.
	drained()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	deadline := time.Now().Add(dur)
	var created atomic.Int64
	var cwg sync.WaitGroup
	work := make(chan int, rate)
	for range conns {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for ci := range work {
				m, code, err := benchhttp.Send("POST", chats[ci].path+"/messages", chats[ci].bearer, map[string]any{"body": "live bench message"})
				if err == nil && code == 201 {
					sent.Store(chats[ci].key+"#"+fmt.Sprint(m["number"]), time.Now())
					created.Add(1)
				}
			}
		}()
	}
	// Paced by the clock, not by ticks (a ticker drops ticks under load):
	// each tick sends what is due by now.
	start, due := time.Now(), 0
	for time.Now().Before(deadline) {
		<-tick.C
		for target := int(time.Since(start).Seconds() * float64(rate)); due < target; due++ {
			select {
			case work <- due % len(chats):
			default: // the api is behind the offered rate: skip rather than queue
			}
		}
	}
	close(work)
	cwg.Wait()
	time.Sleep(2 * time.Second)
	// An event may reach its streams before the create's answer reaches
	// the client: that counts as no delay.
	var all []time.Duration
	for len(receipts) > 0 {
		r := <-receipts
		if at, ok := sent.Load(r.key); ok {
			all = append(all, max(0, r.at.Sub(at.(time.Time))))
		}
	}
	all = percentile.Sorted(all)
	pct := func(p int) time.Duration { return percentile.Of(all, p).Round(100 * time.Microsecond) }
	fmt.Printf("paced creates:              %8.0f/s offered %d/s; deliveries %d of %d expected; %d streams ended by the api\n",
		float64(created.Load())/dur.Seconds(), rate, len(all), created.Load()*int64(b.fanout), ended.Load())
	fmt.Printf("delivery latency:           p50 %v  p99 %v  max %v (create answered -> event received)\n", pct(50), pct(99), pct(100))
	fmt.Printf("clients the api dropped:    %8s (chat_live_clients_dropped_total: fell CHAT_LIVE_BUFFER events behind)\n",
		apiMetric(strings.TrimSuffix(b.api, "/api/v1/chat_applications")+"/metrics", "chat_live_clients_dropped_total"))

	rate1 := closedLoop(quiet, conns, dur)
	fmt.Printf("creates, streams open:      %8.0f/s (%.1f%% slower than with none)\n", rate1, 100*(1-rate1/rate0))
	before1 := received.Load()
	rate2 := closedLoop(chats, conns, dur)
	fmt.Printf("creates on followed chats:  %8.0f/s, as fast as they go: %.0f deliveries/s\n", rate2, float64(received.Load()-before1)/dur.Seconds())
	close(stop)
	return nil
}

var streamTransport = &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 1, DisableCompression: true}

var workerMetrics string

// drained waits until the worker has persisted and indexed everything (its
// counters stand still for three seconds), so that a phase does not pay for
// the one before.
func drained() {
	if workerMetrics == "" {
		return
	}
	last, still := "", 0
	for still < 3 {
		time.Sleep(time.Second)
		res, err := benchhttp.Client.Get(workerMetrics)
		if err != nil {
			return
		}
		var now strings.Builder
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "chat_events_persisted_total ") || strings.HasPrefix(l, "chat_events_indexed_total ") {
				now.WriteString(l)
			}
		}
		res.Body.Close()
		if now.String() == last {
			still++
		} else {
			last, still = now.String(), 0
		}
	}
}

// apiMetric is a counter's value on the api's /metrics ("?" if unread).
func apiMetric(url, name string) string {
	res, err := benchhttp.Client.Get(url)
	if err != nil {
		return "?"
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return v
		}
	}
	return "?"
}

// closedLoop creates messages across the chats as fast as conns connections
// go, once the worker has caught up.
func closedLoop(chats []chatRef, conns int, dur time.Duration) float64 {
	drained()
	var n atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; time.Now().Before(deadline); i += conns {
				c := chats[i%len(chats)]
				if _, code, err := benchhttp.Send("POST", c.path+"/messages", c.bearer, map[string]any{"body": "closed loop"}); err == nil && code == 201 {
					n.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	return float64(n.Load()) / dur.Seconds()
}
