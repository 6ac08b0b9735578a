// Command api serves the REST API. With nothing configured it runs the whole
// service in the embedded profile; CHAT_PROFILE=production serves from MySQL
// and Redis, with cmd/worker consuming.
package main

import (
	"fmt"
	"os"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/cmd/internal/cli"
	"github.com/chatsvc/chat/internal/dirlock"
)

const usage = `Usage: api [-healthcheck URL]

Serves the REST API. With nothing configured it is the whole service in one
process (the embedded profile: SQLite and Bleve under CHAT_DATA_DIR);
CHAT_PROFILE=production serves from MySQL, Redis and OpenSearch, with
worker processes consuming.`

func main() {
	cfg := cli.Server("api", usage)
	if cfg.Profile == bootstrap.ProfileEmbedded {
		// Before anything opens the directory: a second process on it would
		// otherwise wait for the search index's own lock, then fail.
		release, err := dirlock.Lock(cfg.SQLite.DataDir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "api:", err)
			os.Exit(1)
		}
		defer func() { _ = release() }() // and holds the lock until then
	}
	fx.New(bootstrap.API(cfg)).Run()
}
