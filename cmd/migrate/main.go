// Command migrate applies the versioned schema migrations to MySQL
// (CHAT_MYSQL_DSN), waiting a bounded time for the database to come up,
// through the same module the services use.
package main

import (
	"fmt"
	"os"

	"github.com/chatsvc/chat/bootstrap"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := bootstrap.LoadConfig(os.Getenv)
	if err != nil {
		return err
	}
	if cfg.MySQL.DSN == "" {
		return fmt.Errorf("CHAT_MYSQL_DSN is required")
	}
	return bootstrap.RunOnce(bootstrap.Migrate(cfg, func(n int) {
		fmt.Printf("migrate: %d migration(s) applied\n", n)
	}))
}
