// Command loadgen drives message creation through a running api over HTTP
// and reports throughput, latency percentiles and the persistence lag
// (201 answered -> message readable through the api, which reads MySQL).
//
//	go run ./cmd/loadgen -url http://127.0.0.1:8080 -c 64 -d 20s
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "api base URL")
	conns := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 20*time.Second, "how long to send")
	chats := flag.Int("chats", 16, "chats the messages are spread over")
	sampleEvery := flag.Int("sample", 200, "measure the persistence lag of one message in this many")
	rate := flag.Int("rate", 0, "requests per second to offer (0: as fast as the connections go)")
	flag.Parse()
	if err := run(*base, *conns, *dur, *chats, *sampleEvery, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type sample struct {
	path  string
	acked time.Time
}

func run(base string, conns int, dur time.Duration, chats, sampleEvery, rate int) error {
	client := &fasthttp.Client{MaxConnsPerHost: conns * 2, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	post := func(path string, body []byte) (int, []byte, error) {
		req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(res)
		req.SetRequestURI(base + path)
		req.Header.SetMethod("POST")
		req.Header.SetContentType("application/json")
		req.SetBody(body)
		err := client.Do(req, res)
		return res.StatusCode(), append([]byte(nil), res.Body()...), err
	}
	status, body, err := post("/api/v1/chat_applications", []byte(`{"name":"loadgen"}`))
	if err != nil || status != 201 {
		return fmt.Errorf("create application: %d %s %v", status, body, err)
	}
	var app struct{ Token string }
	_ = json.Unmarshal(body, &app)
	prefix := "/api/v1/chat_applications/" + app.Token + "/chats"
	for i := 0; i < chats; i++ {
		if status, body, err := post(prefix, nil); err != nil || status != 201 {
			return fmt.Errorf("create chat: %d %s %v", status, body, err)
		}
	}

	var sent, failed atomic.Int64
	latencies := make([][]time.Duration, conns)
	samples := make(chan sample, 100000)
	deadline := time.Now().Add(dur)
	// At a fixed rate, a pacer hands out permits every millisecond; a request
	// waits for one. Without a rate, permits is nil and requests go back to back.
	var permits chan struct{}
	if rate > 0 {
		permits = make(chan struct{}, rate)
		go func() {
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			start, issued := time.Now(), 0
			for now := range tick.C {
				if now.After(deadline) {
					close(permits)
					return
				}
				due := int(now.Sub(start).Seconds() * float64(rate))
				for ; issued < due; issued++ {
					select {
					case permits <- struct{}{}:
					default: // the connections are saturated: the permit is dropped, not queued
					}
				}
			}
		}()
	}
	var wg sync.WaitGroup
	msgBody := []byte(`{"body":"the quick brown fox jumps over the lazy dog"}`)
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var number struct{ Number int64 }
			for i := 0; time.Now().Before(deadline); i++ {
				if permits != nil {
					if _, ok := <-permits; !ok {
						return
					}
				}
				chat := (w*7919+i)%chats + 1
				path := fmt.Sprintf("%s/%d/messages", prefix, chat)
				start := time.Now()
				status, body, err := post(path, msgBody)
				latencies[w] = append(latencies[w], time.Since(start))
				if err != nil || status != 201 {
					failed.Add(1)
					continue
				}
				if n := sent.Add(1); n%int64(sampleEvery) == 0 {
					_ = json.Unmarshal(body, &number)
					select {
					case samples <- sample{path: fmt.Sprintf("%s/%d", path, number.Number), acked: time.Now()}:
					default:
					}
				}
			}
		}(w)
	}
	var lags []time.Duration
	var lagWG sync.WaitGroup
	var lagMu sync.Mutex
	lagWG.Add(1)
	go func() {
		defer lagWG.Done()
		for s := range samples {
			for {
				code, _, err := client.GetTimeout(nil, base+s.path, 5*time.Second)
				if err == nil && code == 200 {
					lagMu.Lock()
					lags = append(lags, time.Since(s.acked))
					lagMu.Unlock()
					break
				}
				if time.Since(s.acked) > 60*time.Second {
					fmt.Fprintln(os.Stderr, "loadgen: message never became readable:", s.path)
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	started := time.Now()
	wg.Wait()
	elapsed := time.Since(started)
	close(samples)
	lagWG.Wait()

	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	offered := "as fast as possible"
	if rate > 0 {
		offered = fmt.Sprintf("offered %d/s", rate)
	}
	fmt.Printf("messages created: %d in %s (%d failed) with %d connections, %s\n", sent.Load(), elapsed.Round(time.Millisecond), failed.Load(), conns, offered)
	fmt.Printf("throughput:       %.0f requests/s\n", float64(len(all))/elapsed.Seconds())
	fmt.Printf("latency:          p50 %s  p90 %s  p99 %s  max %s\n", pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100))
	fmt.Printf("persistence lag:  p50 %s  p99 %s  max %s  (%d samples, 201 -> readable)\n", pct(lags, 50), pct(lags, 99), pct(lags, 100), len(lags))
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[min(i, len(sorted)-1)].Round(10 * time.Microsecond)
}
