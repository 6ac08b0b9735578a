// Command migrate applies the versioned schema migrations to MySQL
// (CHAT_MYSQL_DSN), waiting a bounded time for the database to come up.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/chatsvc/chat/adapters/entstore"
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
	db, err := entstore.OpenMySQL(cfg.MySQL.DSN, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := entstore.WaitReady(ctx, db, cfg.Startup.Attempts, cfg.Startup.Every); err != nil {
		return fmt.Errorf("MySQL cannot be reached: %w", err)
	}
	n, err := entstore.Migrate(ctx, db, "mysql")
	if err != nil {
		return err
	}
	fmt.Printf("migrate: %d migration(s) applied\n", n)
	return nil
}
