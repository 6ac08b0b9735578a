// Command searchbench loads one chat with many messages into OpenSearch
// through the service's own index adapter, then measures search latency
// for prefix, infix and multi-term queries.
//
//	go run ./cmd/searchbench -url http://127.0.0.1:9200 -n 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/domain"
)

var words = strings.Fields(`alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike
november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu hello world
message chat server client request response latency throughput search index shard replica cluster
café naïve résumé coffee morning evening meeting project deadline release feature bugfix review
deploy rollback database cache queue stream worker consumer producer partition offset commit`)

func main() {
	url := flag.String("url", "http://127.0.0.1:9200", "OpenSearch URL")
	n := flag.Int("n", 1_000_000, "messages in the chat")
	batch := flag.Int("batch", 2000, "messages per bulk request")
	writers := flag.Int("writers", 2, "concurrent bulk requests")
	queries := flag.Int("queries", 300, "queries of each kind")
	keep := flag.Bool("keep", false, "keep the index afterwards")
	flag.Parse()
	if err := run(*url, *n, *batch, *writers, *queries, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

func body(r *rand.Rand) string {
	k := 5 + r.IntN(15)
	parts := make([]string, k)
	for i := range parts {
		parts[i] = words[r.IntN(len(words))]
	}
	return strings.Join(parts, " ")
}

func run(url string, n, batch, writers, queries int, keep bool) error {
	ctx := context.Background()
	alias := fmt.Sprintf("searchbench-%d", time.Now().Unix())
	ix, err := opensearch.New(opensearch.Config{URL: url, Alias: alias})
	if err != nil {
		return err
	}
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
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for from := range jobs {
				msgs := make([]domain.IndexedMessage, 0, batch)
				for i := from; i < min(from+batch, n); i++ {
					msgs = append(msgs, domain.IndexedMessage{Token: tok, Chat: 1, Number: int64(i + 1), Body: body(r), CreatedAt: now, UpdatedAt: now})
				}
				if err := ix.IndexMessages(ctx, msgs); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if d := done.Add(int64(len(msgs))); d%100000 < int64(batch) {
					fmt.Fprintf(os.Stderr, "  %d indexed (%.0f/s)\n", d, float64(d)/time.Since(start).Seconds())
				}
			}
		}(w)
	}
	for from := 0; from < n; from += batch {
		jobs <- from
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ix.Refresh(ctx); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Printf("indexed %d messages in one chat in %s: %.0f messages/s\n", n, took.Round(time.Second), float64(n)/took.Seconds())

	r := rand.New(rand.NewPCG(7, 7))
	kinds := []struct {
		name string
		q    func() string
	}{
		{"prefix", func() string { w := words[r.IntN(len(words))]; return w[:min(3, len(w))] }},
		{"infix", func() string {
			w := words[r.IntN(len(words))]
			if len(w) < 5 {
				return w
			}
			return w[1 : len(w)-1]
		}},
		{"multi-term", func() string { return words[r.IntN(len(words))] + " " + words[r.IntN(len(words))][:3] }},
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
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Printf("search %-10s p50 %6s  p99 %6s  (%d queries, page of 50)\n", k.name, lat[len(lat)/2].Round(100*time.Microsecond), lat[len(lat)*99/100].Round(100*time.Microsecond), queries)
	}
	return nil
}
