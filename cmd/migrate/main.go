// Command migrate applies the versioned schema migrations to MySQL
// (CHAT_MYSQL_DSN), waiting a bounded time for the database to come up,
// through the same module the services use.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/cmd/internal/cli"
)

const usage = `Usage: migrate

Applies the versioned schema migrations to MySQL (CHAT_MYSQL_DSN), waiting
a bounded time for the database to come up.`

func main() {
	cli.Parse("migrate", usage)
	cfg := cli.Config("migrate")
	if cfg.MySQL.DSN == "" {
		cli.Fail("migrate", errors.New("CHAT_MYSQL_DSN is required"))
	}
	err := bootstrap.RunOnce(bootstrap.Migrate(cfg, func(n int) {
		fmt.Printf("migrate: %d migration(s) applied\n", n)
	}))
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}
