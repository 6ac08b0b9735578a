// Command api serves the REST API. With nothing configured it runs the whole
// service in the embedded profile; CHAT_PROFILE=production serves from MySQL
// and Redis, with cmd/worker consuming.
package main

import (
	"flag"
	"os"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/cmd/internal/cli"
	"github.com/chatsvc/chat/cmd/internal/healthcheck"
)

const usage = `Usage: api [-healthcheck URL]

Serves the REST API. With nothing configured it is the whole service in one
process (the embedded profile: SQLite and Bleve under CHAT_DATA_DIR);
CHAT_PROFILE=production serves from MySQL, Redis and OpenSearch, with
worker processes consuming.`

func main() {
	probe := flag.String("healthcheck", "", "ask `URL` and exit 0 on a 200, 1 otherwise (a container's health check)")
	cli.Parse("api", usage)
	if *probe != "" {
		os.Exit(healthcheck.Probe(*probe, os.Stderr))
	}
	fx.New(bootstrap.API(cli.Config("api"))).Run()
}
