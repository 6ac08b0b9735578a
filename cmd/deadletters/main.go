// Command deadletters shows the events the workers gave up on, and replays
// them once their cause is fixed (production profile).
//
//	deadletters                 list the persisting workers' dead letters
//	deadletters -index          the indexers' instead
//	deadletters -replay         send them back to their streams
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ThreeDotsLabs/watermill/message"
	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/cmd/internal/cli"
	"github.com/chatsvc/chat/internal/progress"
)

const usage = `Usage: deadletters [-index] [-n N] [-replay]

Lists the events the workers gave up on (the persisting workers', or with
-index the indexers'), oldest first, and with -replay sends them back to
their streams once their cause is fixed (production profile).`

func main() {
	replay := flag.Bool("replay", false, "replay the listed dead letters")
	index := flag.Bool("index", false, "the search indexers' dead letters")
	count := flag.Int64("n", 100, "how many, oldest first")
	cli.Parse("deadletters", usage)
	cfg := cli.Config("deadletters")
	if cfg.Redis.Addr == "" {
		cli.Fail("deadletters", errors.New("CHAT_REDIS_ADDR is required"))
	}
	if err := run(cfg, *replay, *index, *count); err != nil {
		fmt.Fprintln(os.Stderr, "deadletters:", err)
		os.Exit(1)
	}
}

func run(cfg bootstrap.Config, replay, index bool, count int64) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var client goredis.UniversalClient
	var pub message.Publisher
	stopDeps, err := bootstrap.Maintenance(cfg, &client, &pub)
	if err != nil {
		return err
	}
	defer func() { _ = stopDeps() }()
	name := cfg.Stream.Topics().DeadLetter()
	if index {
		name += ".index"
	}
	letters, err := stream.DeadLetters(ctx, client, name, count)
	if err != nil {
		return err
	}
	for _, l := range letters {
		fmt.Printf("%s  %s  from %s  %s\n    reason: %s\n", l.StreamID, l.Kind, l.Topic, l.UUID, l.Reason)
		if l.Request != "" {
			fmt.Printf("    request: %s\n", l.Request)
		}
		fmt.Printf("    payload: %s\n", l.Payload)
	}
	fmt.Printf("%d dead letter(s) in %s\n", len(letters), name)
	if !replay || len(letters) == 0 {
		return nil
	}
	// Each replayed letter leaves the stream: an interrupted replay is
	// resumed by running it again.
	bar := progress.New("replay", int64(len(letters)))
	n, err := stream.Replay(ctx, client, pub, name, letters, func(l stream.DeadLetter) { bar.Add(1, "run -replay again") })
	bar.Finish()
	fmt.Printf("%d replayed\n", n)
	if err != nil {
		return fmt.Errorf("replay stopped after %d: %w", n, err)
	}
	return nil
}
