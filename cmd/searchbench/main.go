// Command searchbench loads one chat with many messages into OpenSearch
// through the service's own index adapter, then measures search latency by
// query shape. Bodies are 5 to 14 words of a 20,000-word vocabulary (as the
// load generator sends), plus "hello" in one message in three (a common
// word). It reports the indexing rate, OpenSearch's CPU per message indexed
// (when it runs from scripts/services.sh) and the size of the index, so
// that analyses can be compared on the same corpus (the loading's progress
// on stderr, the figures on stdout):
//
//	go run ./cmd/searchbench -n 1000000 -analysis trigrams
//	go run ./cmd/searchbench -n 1000000 -analysis grams
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/cmd/internal/cli"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/corpus"
	"github.com/chatsvc/chat/internal/percentile"
	"github.com/chatsvc/chat/internal/progress"
)

const usage = `Usage: searchbench [-url URL] [-n N] [-analysis trigrams|grams] [-keep] ...

Loads one chat with many messages into an index of its own on OpenSearch,
through the service's index adapter, then measures search latency by query
shape, the indexing rate, OpenSearch's CPU per message (when it runs from
scripts/services.sh, or under CHAT_SERVICES_DIR) and the index's size.
-url, -analysis and the index's own name stand for CHAT_OPENSEARCH_URL,
CHAT_SEARCH_ANALYSIS and CHAT_OPENSEARCH_INDEX.`

func main() {
	url := flag.String("url", "http://127.0.0.1:9200", "OpenSearch URL")
	n := flag.Int("n", 1_000_000, "messages in the chat")
	batch := flag.Int("batch", 2000, "messages per bulk request")
	writers := flag.Int("writers", 2, "concurrent bulk requests")
	queries := flag.Int("queries", 300, "queries of each kind")
	keep := flag.Bool("keep", false, "keep the index afterwards")
	analysis := flag.String("analysis", "trigrams", "analysis of the index: trigrams or grams")
	cli.Parse("searchbench", usage)
	cfg := cli.Config("searchbench")
	if err := run(cfg, *url, *n, *batch, *writers, *queries, *keep, *analysis); err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

// cpuTicks is OpenSearch's CPU time so far, when scripts/services.sh started it.
func cpuTicks() (float64, bool) {
	dir := os.Getenv("CHAT_SERVICES_DIR")
	if dir == "" {
		dir = "/tmp/chat-services"
	}
	pid, err := os.ReadFile(filepath.Join(dir, "opensearch.pid"))
	if err != nil {
		return 0, false
	}
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/stat")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(stat))
	u, _ := strconv.ParseFloat(f[13], 64)
	s, _ := strconv.ParseFloat(f[14], 64)
	return (u + s) / 100, true // clock ticks of 1/100 s
}

func indexSize(url, alias string) string {
	res, err := http.Get(url + "/" + alias + "/_stats/store")
	if err != nil {
		return "?"
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var stats struct {
		All struct {
			Primaries struct {
				Store struct {
					Bytes int64 `json:"size_in_bytes"`
				} `json:"store"`
			} `json:"primaries"`
		} `json:"_all"`
	}
	if json.Unmarshal(raw, &stats) != nil {
		return "?"
	}
	return fmt.Sprintf("%.0f MB", float64(stats.All.Primaries.Store.Bytes)/1e6)
}

func run(cfg bootstrap.Config, url string, n, batch, writers, queries int, keep bool, analysis string) error {
	ctx := context.Background()
	alias := fmt.Sprintf("searchbench-%d", time.Now().Unix())
	// The index client the services use, from their module, on an index of its own.
	cfg.OpenSearch.URL, cfg.OpenSearch.Index, cfg.OpenSearch.Analysis, cfg.OpenSearch.Refresh = url, alias, analysis, ""
	var ix *opensearch.Index
	stop, err := bootstrap.Maintenance(cfg, &ix)
	if err != nil {
		return err
	}
	defer func() { _ = stop() }()
	if err := ix.EnsureIndex(ctx); err != nil {
		return err
	}
	if !keep {
		defer func() { _ = ix.Drop(context.Background()) }()
	}
	tok := domain.NewToken()
	now := time.Now().UTC()
	jobs := make(chan int)
	var done atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	cpu0, haveCPU := cpuTicks()
	start := time.Now()
	stopProgress := progress.Follow("indexed", int64(n), done.Load)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for from := range jobs {
				msgs := make([]domain.IndexedMessage, 0, batch)
				for i := from; i < min(from+batch, n); i++ {
					var text string
					if i%3 == 0 {
						text = corpus.Body(r, "hello")
					} else {
						text = corpus.Body(r)
					}
					msgs = append(msgs, domain.IndexedMessage{Token: tok, Chat: 1, Number: int64(i + 1), Body: text, CreatedAt: now, UpdatedAt: now})
				}
				if err := ix.IndexMessages(ctx, msgs); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				done.Add(int64(len(msgs)))
			}
		}(w)
	}
	for from := 0; from < n; from += batch {
		jobs <- from
	}
	close(jobs)
	wg.Wait()
	stopProgress()
	if firstErr != nil {
		return firstErr
	}
	if err := ix.Refresh(ctx); err != nil {
		return err
	}
	took := time.Since(start)
	cpu := ""
	if cpu1, ok := cpuTicks(); ok && haveCPU {
		cpu = fmt.Sprintf(", OpenSearch CPU %.0f µs per message", (cpu1-cpu0)*1e6/float64(n))
	}
	fmt.Printf("analysis %s: indexed %d messages in one chat in %s: %.0f messages/s%s; index %s\n",
		analysis, n, took.Round(time.Second), float64(n)/took.Seconds(), cpu, indexSize(url, alias))

	r := rand.New(rand.NewPCG(7, 7))
	word := func() string { return corpus.Vocabulary[r.IntN(len(corpus.Vocabulary))] }
	kinds := []struct {
		name string
		q    func() string
	}{
		{"prefix", func() string { return word()[:3] }},
		{"infix", func() string {
			w := word()
			for len(w) < 5 {
				w = word()
			}
			return w[1 : len(w)-1]
		}},
		{"multi-term", func() string { return word() + " " + word()[:3] }},
		{"rare word", word},
		{"common word", func() string { return "hello" }},
		{"short (2)", func() string { return word()[1:3] }},
	}
	for _, k := range kinds {
		lat := make([]time.Duration, 0, queries)
		for i := 0; i < queries; i++ {
			q, _ := domain.NewSearchQuery(k.q())
			t := time.Now()
			if _, err := ix.Search(ctx, tok, 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 50}); err != nil {
				return err
			}
			lat = append(lat, time.Since(t))
		}
		lat = percentile.Sorted(lat)
		fmt.Printf("search %-12s p50 %6s  p99 %6s  (%d queries, page of 50)\n", k.name, percentile.Of(lat, 50).Round(100*time.Microsecond), percentile.Of(lat, 99).Round(100*time.Microsecond), queries)
	}
	return nil
}
