// Command livebench measures live delivery against a running api
// (production profile, worker running): it opens -per live streams on
// each of -chats chats (spread over applications of 10 chats, so that the
// default per-application cap of 100 streams holds), creates -rate
// messages per second across those chats for -d, and reports the delivery
// latency (create answered -> event received by a stream), the api's
// memory per open stream (-pid: its RSS before and after opening them),
// and the create rate as fast as -c connections go, without streams and
// with them open. scripts/bench-live.sh runs it on the whole stack.
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
	flag.Parse()
	workerMetrics = *worker
	if err := run(*base, *chats, *per, *rate, *dur, *conns, *pid); err != nil {
		fmt.Fprintln(os.Stderr, "livebench:", err)
		os.Exit(1)
	}
}

type chatRef struct{ path string }

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

func run(base string, nchats, per, rate int, dur time.Duration, conns, pid int) error {
	api := base + "/api/v1/chat_applications"
	var chats []chatRef
	for len(chats) < nchats {
		app, code, err := benchhttp.Post(api, map[string]any{"name": "live bench"})
		if err != nil || code != 201 {
			return fmt.Errorf("create application: %d %v", code, err)
		}
		for i := 0; i < 10 && len(chats) < nchats; i++ {
			path := api + "/" + app["token"].(string) + "/chats"
			c, code, err := benchhttp.Post(path, map[string]any{})
			if err != nil || code != 201 {
				return fmt.Errorf("create chat: %d %v", code, err)
			}
			chats = append(chats, chatRef{path: fmt.Sprintf("%s/%v", path, c["number"])})
		}
	}
	// The create rate is compared on chats nobody follows: what holding
	// the streams open costs; delivering to them is measured apart.
	app, code, err := benchhttp.Post(api, map[string]any{"name": "unfollowed"})
	if err != nil || code != 201 {
		return fmt.Errorf("create application: %d %v", code, err)
	}
	var quiet []chatRef
	for range 10 {
		path := api + "/" + app["token"].(string) + "/chats"
		c, _, err := benchhttp.Post(path, map[string]any{})
		if err != nil {
			return err
		}
		quiet = append(quiet, chatRef{path: fmt.Sprintf("%s/%v", path, c["number"])})
	}
	for _, c := range append(append([]chatRef{}, chats...), quiet...) { // persisted, so that they can be followed
		for {
			res, err := benchhttp.Client.Get(c.path)
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					break
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	fmt.Printf("== %d chats followed, over %d applications; %d chats nobody follows\n", len(chats), (len(chats)+9)/10, len(quiet))

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
	var received, opened atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	sem := make(chan struct{}, 200)
	for ci, c := range chats {
		for range per {
			sem <- struct{}{}
			req, _ := http.NewRequest("GET", c.path+"/events", nil)
			res, err := (&http.Client{Transport: streamTransport}).Do(req)
			<-sem
			if err != nil || res.StatusCode != 200 {
				return fmt.Errorf("open stream %d on chat %d: %v %v", opened.Load(), ci, err, res)
			}
			opened.Add(1)
			wg.Add(1)
			go func(ci int) {
				defer wg.Done()
				defer res.Body.Close()
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					line := sc.Bytes()
					if !bytes.HasPrefix(line, []byte("data: {\"number\":")) {
						continue
					}
					rest := line[len("data: {\"number\":"):]
					end := bytes.IndexByte(rest, ',')
					if end < 0 {
						continue
					}
					select {
					case receipts <- receipt{strconv.Itoa(ci) + "#" + string(rest[:end]), time.Now()}:
					default:
					}
					received.Add(1)
					select {
					case <-stop:
						return
					default:
					}
				}
			}(ci)
		}
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
				m, code, err := benchhttp.Post(chats[ci].path+"/messages", map[string]any{"body": "live bench message"})
				if err == nil && code == 201 {
					sent.Store(strconv.Itoa(ci)+"#"+fmt.Sprint(m["number"]), time.Now())
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
	fmt.Printf("paced creates:              %8.0f/s offered %d/s; deliveries %d of %d expected\n",
		float64(created.Load())/dur.Seconds(), rate, len(all), created.Load()*int64(per))
	fmt.Printf("delivery latency:           p50 %v  p99 %v  max %v (create answered -> event received)\n", pct(50), pct(99), pct(100))

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
				if _, code, err := benchhttp.Post(chats[i%len(chats)].path+"/messages", map[string]any{"body": "closed loop"}); err == nil && code == 201 {
					n.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	return float64(n.Load()) / dur.Seconds()
}
