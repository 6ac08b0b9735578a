// Command reindex maintains the search index from MySQL (production profile):
//
//	reindex            rebuild: fill a new index, switch the alias atomically, drop the old one
//	reindex -repair    re-index every message (versioned: what is right stays as it is)
//	reindex -repair -since 2h   only messages changed in the last two hours
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"entgo.io/ent/dialect"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/bootstrap"
)

func main() {
	repair := flag.Bool("repair", false, "re-index messages in place instead of rebuilding")
	since := flag.Duration("since", 0, "with -repair: only messages updated within this duration (0: all)")
	batch := flag.Int("batch", 1000, "messages per bulk request")
	flag.Parse()
	if err := run(*repair, *since, *batch); err != nil {
		fmt.Fprintln(os.Stderr, "reindex:", err)
		os.Exit(1)
	}
}

func run(repair bool, since time.Duration, batch int) error {
	cfg, err := bootstrap.LoadConfig(os.Getenv)
	if err != nil {
		return err
	}
	if cfg.Profile != bootstrap.ProfileProduction {
		return fmt.Errorf("reindex works on the production profile (CHAT_PROFILE=production)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := entstore.OpenMySQL(cfg.MySQL.DSN, 4)
	if err != nil {
		return err
	}
	store := entstore.New(db, dialect.MySQL)
	defer store.Close()
	ix, err := opensearch.New(opensearch.Config{URL: cfg.OpenSearch.URL, Alias: cfg.OpenSearch.Index, Shards: cfg.OpenSearch.Shards, Analysis: cfg.OpenSearch.Analysis})
	if err != nil {
		return err
	}
	if err := ix.EnsureIndex(ctx); err != nil {
		return fmt.Errorf("OpenSearch (CHAT_OPENSEARCH_URL): %w", err)
	}
	start := time.Now()
	var n int
	if repair {
		var from time.Time
		if since > 0 {
			from = time.Now().Add(-since)
		}
		n, err = ix.Repair(ctx, store, batch, from)
	} else {
		n, err = ix.Rebuild(ctx, store, batch)
	}
	if err != nil {
		return err
	}
	fmt.Printf("reindex: %d messages indexed in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
