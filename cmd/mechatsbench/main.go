// Command mechatsbench measures GET …/me/chats against a running api
// (production profile, worker running): one user who is a member of -chats
// chats of a protected application, each with a few messages (one of them
// deleted in every third chat, positions read in half of them), asked for
// their first page of chats as fast as -c connections go for -d. It reports
// the requests/s and the latency percentiles; the target (issue 21) is p99
// under 20 ms for 1,000 chats at 64 connections.
// scripts/bench-mechats.sh runs it on the whole stack.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatsvc/chat/internal/benchhttp"
	"github.com/chatsvc/chat/internal/percentile"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "api base URL")
	chats := flag.Int("chats", 1000, "chats the user is a member of")
	messages := flag.Int("messages", 3, "messages in each chat")
	limit := flag.Int("limit", 50, "chats per page")
	conns := flag.Int("c", 64, "connections")
	dur := flag.Duration("d", 15*time.Second, "how long the measured phase lasts")
	flag.Parse()
	if err := run(*base, *chats, *messages, *limit, *conns, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "mechatsbench:", err)
		os.Exit(1)
	}
}

const user = "bench-user"

func run(base string, nchats, nmessages, limit, conns int, dur time.Duration) error {
	api := base + "/api/v1/chat_applications"
	created, code, err := benchhttp.Post(api, map[string]any{"name": "me/chats bench"})
	if err != nil || code != 201 {
		return fmt.Errorf("create application: %d %v", code, err)
	}
	token, secret := created["token"].(string), created["secret"].(string)
	app := api + "/" + token
	if _, code, err := benchhttp.Send("PATCH", app, secret, map[string]any{"access": "protected"}); err != nil || code != 200 {
		return fmt.Errorf("protect the application: %d %v", code, err)
	}
	fmt.Printf("token=%s\n", token)
	start := time.Now()
	err = inParallel(32, nchats, func(i int) error {
		c, code, err := benchhttp.Send("POST", app+"/chats", secret, map[string]any{"members": []map[string]any{{"user_id": user}, {"user_id": "someone else"}}})
		if err != nil || code != 201 {
			return fmt.Errorf("create chat: %d %v", code, err)
		}
		chat := fmt.Sprintf("%s/chats/%v", app, c["number"])
		for m := range nmessages {
			if _, code, err := benchhttp.Send("POST", chat+"/messages", secret, map[string]any{"body": fmt.Sprintf("message %d of chat %d", m, i)}); err != nil || code != 201 {
				return fmt.Errorf("post: %d %v", code, err)
			}
		}
		if i%3 == 0 && nmessages > 0 {
			if _, code, err := benchhttp.Send("DELETE", chat+"/messages/1", secret, nil); err != nil || code != 204 {
				return fmt.Errorf("delete: %d %v", code, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	mine, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": user, "exp": time.Now().Add(24 * time.Hour).Unix()}).SignedString([]byte(secret))
	if err != nil {
		return err
	}
	// Positions read in half of the chats (a member's own write, on the primary).
	err = inParallel(32, nchats/2, func(i int) error {
		_, code, err := benchhttp.Send("PUT", fmt.Sprintf("%s/chats/%d/read", app, 2*i+1), mine, map[string]any{"through": 1})
		if err != nil || code != 200 {
			return fmt.Errorf("read: %d %v", code, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("setup: %d chats of %d messages in %v\n", nchats, nmessages, time.Since(start).Round(time.Millisecond))
	page := fmt.Sprintf("%s/me/chats?limit=%d", app, limit)
	first, code, err := benchhttp.Send("GET", page, mine, nil)
	if err != nil || code != 200 {
		return fmt.Errorf("GET me/chats: %d %v", code, err)
	}
	if data, _ := first["data"].([]any); len(data) != min(limit, nchats) {
		return fmt.Errorf("the first page holds %d chats, not %d", len(data), min(limit, nchats))
	}
	return measure(page, mine, conns, dur)
}

// measure asks for page as fast as conns connections go for dur.
func measure(page, bearer string, conns int, dur time.Duration) error {
	var failed atomic.Int64
	lat := make([][]time.Duration, conns)
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", page, nil)
			req.Header.Set("Authorization", "Bearer "+bearer)
			for time.Now().Before(deadline) {
				t0 := time.Now()
				res, err := benchhttp.Client.Do(req)
				if err == nil {
					drain(res)
					if res.StatusCode != 200 {
						err = errors.New(res.Status)
					}
				}
				if err != nil {
					failed.Add(1)
					continue
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	all := percentile.Sorted(lat...)
	fmt.Printf("GET me/chats: %.0f req/s  p50 %v  p99 %v  max %v  (%d requests, %d failed, %d connections)\n",
		float64(len(all))/dur.Seconds(), percentile.Of(all, 50).Round(10*time.Microsecond), percentile.Of(all, 99).Round(10*time.Microsecond),
		percentile.Of(all, 100).Round(10*time.Microsecond), len(all), failed.Load(), conns)
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	return nil
}

func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

// inParallel runs fn(0..n-1) on workers goroutines; the first error wins.
func inParallel(workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
