// Command worker consumes the event streams into MySQL and the search index,
// and delivers webhooks (production profile).
package main

import (
	"errors"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/cmd/internal/cli"
)

const usage = `Usage: worker [-healthcheck URL]

Consumes the event streams (production profile): persists events into MySQL
and keeps the counters, indexes them for search, delivers them to webhook
endpoints, or any of these (CHAT_WORKER_ROLES).
It serves /healthz, /readyz and /metrics on CHAT_WORKER_HTTP_ADDR.`

func main() {
	cfg := cli.Server("worker", usage)
	if cfg.Profile != bootstrap.ProfileProduction {
		cli.Fail("worker", errors.New("the worker runs in the production profile only (set CHAT_PROFILE=production); the embedded profile's api consumes in-process"))
	}
	fx.New(bootstrap.Worker(cfg)).Run()
}
