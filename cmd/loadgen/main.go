// Command loadgen drives message creation against a running api and reports
// throughput, latency, and how long acknowledged messages take to be
// readable (persisted) and findable (indexed). With -serve it is instead the
// ceiling the figures are compared with: a bare Fiber handler that parses
// the same JSON and answers a message-sized document. Its progress goes to
// stderr (internal/progress); its figures to stdout, where scripts/bench*.sh
// read them.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/internal/corpus"
	"github.com/chatsvc/chat/internal/percentile"
	"github.com/chatsvc/chat/internal/progress"
	"github.com/valyala/fasthttp"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "api base URL")
	conns := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 20*time.Second, "how long to send")
	chats := flag.Int("chats", 16, "chats the messages are spread over, in each application")
	apps := flag.Int("apps", 1, "applications the messages are spread over (on a Redis Cluster, over its nodes)")
	sampleEvery := flag.Int("sample", 500, "measure the persistence and index lag of one message in this many")
	rate := flag.Int("rate", 0, "requests per second to offer (0: as fast as the connections go)")
	serve := flag.String("serve", "", "serve the bare Fiber ceiling handler on this address instead")
	ceiling := flag.Bool("ceiling", false, "drive a -serve ceiling (POST of the same bodies) and print its throughput only")
	get := flag.String("get", "", "GET this path (under -url) instead of creating messages: a read benchmark")
	count := flag.Int("count", 0, "create this many messages, then stop (one in three also says hello), and print the token")
	token := flag.String("token", "", "create the messages in this application's chats 1 to -chats, made beforehand, instead of in new ones (an application cannot be made while Redis is unreachable)")
	protected := flag.Bool("protected", false, "make the applications protected and send every request with a user token minted with their secret (with -count, print it as bearer=)")
	bearer := flag.String("bearer", "", "with -get: send this credential (a user token) as Authorization: Bearer")
	flag.Parse()
	var err error
	switch {
	case *serve != "":
		err = serveCeiling(*serve)
	case *get != "":
		err = reads(*base+*get, *bearer, *conns, *dur)
	case *protected && *token != "":
		err = fmt.Errorf("-protected makes its own applications: it cannot go with -token")
	default:
		err = run(config{base: *base, conns: *conns, dur: *dur, chats: *chats, apps: max(*apps, 1), sampleEvery: *sampleEvery, rate: *rate, ceiling: *ceiling, count: *count, token: *token, protected: *protected})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// serveCeiling is the bare handler: what Fiber does for a create with no
// use case behind it.
func serveCeiling(addr string) error {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	var n atomic.Int64
	app.Post("/*", func(c *fiber.Ctx) error {
		var in struct {
			Body string `json:"body"`
		}
		if err := json.Unmarshal(c.Body(), &in); err != nil {
			return fiber.ErrBadRequest
		}
		now := time.Now().UTC()
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"number": n.Add(1), "body": in.Body, "created_at": now, "updated_at": now})
	})
	// The ceiling of a read: a message-sized document.
	app.Get("/*", func(c *fiber.Ctx) error {
		now := time.Now().UTC()
		return c.JSON(fiber.Map{"number": 17, "body": "the quick brown fox jumps over the lazy dog again and again", "created_at": now, "updated_at": now})
	})
	return app.Listen(addr)
}

// reads GETs one URL from every connection for dur, with bearer as the
// credential unless empty, and prints req/s and latency.
func reads(target, bearer string, conns int, dur time.Duration) error {
	client := &fasthttp.Client{MaxConnsPerHost: conns * 2, ReadTimeout: 10 * time.Second}
	deadline := time.Now().Add(dur)
	latencies := make([][]time.Duration, conns)
	var done, failed atomic.Int64
	var firstFail atomic.Value
	var wg sync.WaitGroup
	started := time.Now()
	stopProgress := progress.Follow("reads", 0, done.Load)
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			for time.Now().Before(deadline) {
				req.SetRequestURI(target)
				t := time.Now()
				err := client.Do(req, res)
				latencies[w] = append(latencies[w], time.Since(t))
				done.Add(1)
				if err != nil || res.StatusCode() != 200 {
					failed.Add(1)
					firstFail.CompareAndSwap(nil, fmt.Sprintf("%d %.200s %v", res.StatusCode(), res.Body(), err))
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(started)
	stopProgress()
	all := percentile.Sorted(latencies...)
	fmt.Printf("reads: %.0f requests/s  p50 %s  p99 %s  (%d failed)\n", float64(len(all))/elapsed.Seconds(), pct(all, 50), pct(all, 99), failed.Load())
	if f := firstFail.Load(); f != nil {
		fmt.Fprintln(os.Stderr, "loadgen: a read answered", f)
	}
	return nil
}

type config struct {
	base              string
	conns, chats      int
	apps              int
	dur               time.Duration
	sampleEvery, rate int
	count             int
	ceiling           bool
	token             string
	protected         bool
}

// body is a JSON create request of corpus.Body; marker, if given, is one
// more word, unique, so that the message can be searched for.
func body(r *rand.Rand, marker string) []byte {
	var text string
	if marker != "" {
		text = corpus.Body(r, marker)
	} else {
		text = corpus.Body(r)
	}
	out, _ := json.Marshal(map[string]string{"body": text})
	return out
}

type sample struct {
	path, search, bearer string
	acked                time.Time
}

func run(cfg config) error {
	client := &fasthttp.Client{MaxConnsPerHost: cfg.conns * 2, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	send := func(method, path, bearer string, body []byte) (int, []byte, error) {
		req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(res)
		req.SetRequestURI(cfg.base + path)
		req.Header.SetMethod(method)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if method != "GET" {
			req.Header.SetContentType("application/json")
			req.SetBody(body)
		}
		err := client.Do(req, res)
		return res.StatusCode(), append([]byte(nil), res.Body()...), err
	}
	targets := []target{{prefix: "/ceiling/chats"}}
	if cfg.token != "" {
		targets = []target{{prefix: "/api/v1/chat_applications/" + cfg.token + "/chats"}}
		fmt.Println("chats=0")
	} else if !cfg.ceiling {
		targets = targets[:0]
		for a := 0; a < cfg.apps; a++ {
			token, t, err := newApplication(send, cfg.protected)
			if err != nil {
				return err
			}
			targets = append(targets, t)
			if cfg.count > 0 && a == 0 {
				fmt.Printf("token=%s\n", token)
				if t.bearer != "" {
					fmt.Printf("bearer=%s\n", t.bearer)
				}
			}
			for i := 0; i < cfg.chats; i++ {
				if status, body, err := send("POST", t.prefix, t.bearer, nil); err != nil || status != 201 {
					return fmt.Errorf("create chat: %d %s %v", status, body, err)
				}
			}
		}
		// The chats' creations are events too (bench.sh waits for them).
		fmt.Printf("chats=%d\n", cfg.apps*cfg.chats)
	}

	var sent, failed atomic.Int64
	latencies := make([][]time.Duration, cfg.conns)
	samples := make(chan sample, 100000)
	deadline := time.Now().Add(cfg.dur)
	// At a fixed rate, a pacer hands out permits every millisecond; a request
	// waits for one. Without a rate, permits is nil and requests go back to back.
	var permits chan struct{}
	if cfg.rate > 0 {
		permits = make(chan struct{}, cfg.rate)
		go func() {
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			start, issued := time.Now(), 0
			for now := range tick.C {
				if now.After(deadline) {
					close(permits)
					return
				}
				due := int(now.Sub(start).Seconds() * float64(cfg.rate))
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
	var markers, issued atomic.Int64
	for w := 0; w < cfg.conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			var number struct{ Number int64 }
			for i := 0; time.Now().Before(deadline); i++ {
				if permits != nil {
					if _, ok := <-permits; !ok {
						return
					}
				}
				marker := ""
				if cfg.count > 0 {
					k := issued.Add(1)
					if k > int64(cfg.count) {
						return
					}
					if k%3 == 0 {
						marker = "hello"
					}
				}
				chat := (w*7919+i)%cfg.chats + 1
				t := targets[(w*31+i)%len(targets)]
				path := fmt.Sprintf("%s/%d/messages", t.prefix, chat)
				sampled := !cfg.ceiling && marker == "" && (sent.Load()+1)%int64(cfg.sampleEvery) == 0
				if sampled {
					// A word no other message has: the search for it finds just this one.
					marker = "zq" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + strconv.FormatInt(markers.Add(1), 36)
				}
				start := time.Now()
				status, resBody, err := send("POST", path, t.bearer, body(r, marker))
				latencies[w] = append(latencies[w], time.Since(start))
				if err != nil || status != 201 {
					if failed.Add(1) <= 3 {
						fmt.Fprintf(os.Stderr, "loadgen: create answered %d %.200s %v\n", status, resBody, err)
					}
					continue
				}
				sent.Add(1)
				if sampled {
					_ = json.Unmarshal(resBody, &number)
					select {
					case samples <- sample{path: fmt.Sprintf("%s/%d", path, number.Number), bearer: t.bearer,
						search: fmt.Sprintf("%s/%d/messages/search?q=%s", t.prefix, chat, url.QueryEscape(marker)), acked: time.Now()}:
					default:
					}
				}
			}
		}(w)
	}
	var persistLags, indexLags []time.Duration
	var lagMu sync.Mutex
	var lagWG sync.WaitGroup
	// Each sample is watched by goroutines of its own, so that a slow one
	// does not delay the next. They poll every 10 ms at first, then less
	// often (up to 250 ms), so that the watching itself stays a small load.
	watch := func(s sample, path string, found func([]byte) bool, into *[]time.Duration) {
		defer lagWG.Done()
		pause := 10 * time.Millisecond
		for {
			code, body, err := send("GET", path, s.bearer, nil)
			if err == nil && code == 200 && found(body) {
				lagMu.Lock()
				*into = append(*into, time.Since(s.acked))
				lagMu.Unlock()
				return
			}
			if time.Since(s.acked) > 120*time.Second {
				fmt.Fprintln(os.Stderr, "loadgen: message never became visible:", path)
				return
			}
			time.Sleep(pause)
			pause = min(pause*5/4, 250*time.Millisecond)
		}
	}
	lagWG.Add(1)
	go func() {
		defer lagWG.Done()
		for s := range samples {
			lagWG.Add(2)
			go watch(s, s.path, func([]byte) bool { return true }, &persistLags)
			go watch(s, s.search, func(b []byte) bool { return strings.Contains(string(b), `"number"`) }, &indexLags)
		}
	}()
	started := time.Now()
	label := "creates"
	if cfg.ceiling {
		label = "ceiling creates"
	}
	stopProgress := progress.Follow(label, int64(cfg.count), sent.Load)
	wg.Wait()
	elapsed := time.Since(started)
	stopProgress()
	close(samples)
	if cfg.ceiling {
		fmt.Printf("ceiling: %.0f requests/s (bare Fiber handler, same bodies, %d connections)\n", float64(sent.Load())/elapsed.Seconds(), cfg.conns)
		return nil
	}
	lagWG.Wait()

	all := percentile.Sorted(latencies...)
	persistLags, indexLags = percentile.Sorted(persistLags), percentile.Sorted(indexLags)
	offered := "as fast as possible"
	if cfg.rate > 0 {
		offered = fmt.Sprintf("offered %d/s", cfg.rate)
	}
	fmt.Printf("messages created: %d in %s (%d failed) with %d connections, %s, %s\n", sent.Load(), elapsed.Round(time.Millisecond), failed.Load(), cfg.conns, offered, accessName(cfg.protected))
	fmt.Printf("created:          %.0f requests/s\n", float64(sent.Load())/elapsed.Seconds())
	fmt.Printf("latency:          p50 %s  p90 %s  p99 %s  max %s\n", pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100))
	fmt.Printf("persistence lag:  p50 %s  p99 %s  max %s  (%d samples, 201 -> readable)\n", pct(persistLags, 50), pct(persistLags, 99), pct(persistLags, 100), len(persistLags))
	fmt.Printf("index lag:        p50 %s  p99 %s  max %s  (%d samples, 201 -> found by search)\n", pct(indexLags, 50), pct(indexLags, 99), pct(indexLags, 100), len(indexLags))
	fmt.Printf("sent=%d\n", sent.Load())
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	return percentile.Of(sorted, p).Round(10 * time.Microsecond)
}
