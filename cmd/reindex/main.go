// Command reindex maintains the search index from MySQL (production profile):
//
//	reindex            rebuild: fill a new index, switch the alias atomically, drop the old one
//	reindex -repair    re-index every message (versioned: what is right stays as it is)
//	reindex -repair -since 2h   only messages changed in the last two hours
//	reindex -repair -from N     resume an interrupted repair where it printed it stopped
//
// It shows its progress (a bar on a terminal, a line every few seconds
// otherwise), stops cleanly on Ctrl-C saying where to resume, and exits
// non-zero with the reason on failure. An interrupted rebuild leaves the
// old index serving: run it again.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatsvc/chat/adapters/entstore"
	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/cmd/internal/cli"
	"github.com/chatsvc/chat/internal/progress"
)

const usage = `Usage: reindex [-repair [-since D] [-from N]] [-batch N]

Maintains the search index from MySQL (production profile): by default it
rebuilds (fills a new index, switches the alias, drops the old one); -repair
re-indexes every message in place.`

func main() {
	repair := flag.Bool("repair", false, "re-index messages in place instead of rebuilding")
	since := flag.Duration("since", 0, "with -repair: only messages updated within this duration (0: all)")
	batch := flag.Int("batch", 1000, "messages per bulk request")
	from := flag.Int64("from", 0, "with -repair: resume after this position (printed by an interrupted run)")
	cli.Parse("reindex", usage)
	cfg := cli.Config("reindex")
	if cfg.Profile != bootstrap.ProfileProduction {
		cli.Fail("reindex", errors.New("reindex works on the production profile (CHAT_PROFILE=production)"))
	}
	if err := run(cfg, *repair, *since, *batch, *from); err != nil {
		fmt.Fprintln(os.Stderr, "reindex:", err)
		os.Exit(1)
	}
}

func run(cfg bootstrap.Config, repair bool, since time.Duration, batch int, from int64) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.MySQL.MaxOpen = 4
	var store *entstore.Store
	var ix *opensearch.Index
	stopDeps, err := bootstrap.Maintenance(cfg, &store, &ix)
	if err != nil {
		return err
	}
	defer func() { _ = stopDeps() }()
	// An index of an older analysis is what a rebuild is for: not an error here.
	if err := ix.EnsureIndex(ctx); err != nil && !errors.Is(err, opensearch.ErrOldAnalysis) {
		return fmt.Errorf("OpenSearch (CHAT_OPENSEARCH_URL): %w", err)
	}
	total, err := store.CountMessages(ctx, from)
	if err != nil {
		return fmt.Errorf("MySQL (CHAT_MYSQL_DSN): %w", err)
	}
	label := "rebuild"
	if repair {
		label = "repair"
	}
	bar := progress.New(label, total)
	onBatch := func(n int, next int64) { bar.Add(n, fmt.Sprintf("-repair -from %d", next)) }
	start := time.Now()
	var n int
	if repair {
		var changed time.Time
		if since > 0 {
			changed = time.Now().Add(-since)
		}
		n, err = ix.Repair(ctx, store, batch, changed, from, onBatch)
	} else {
		n, err = ix.Rebuild(ctx, store, batch, func(n int, _ int64) { bar.Add(n, "") })
	}
	bar.Finish()
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted after %d messages", n)
	}
	if err != nil {
		return err
	}
	fmt.Printf("reindex: %d messages indexed in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
