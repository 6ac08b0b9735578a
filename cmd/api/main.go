// Command api serves the REST API. With nothing configured it runs the whole
// service in the embedded profile; CHAT_PROFILE=production serves from MySQL
// and Redis, with cmd/worker consuming.
package main

import (
	"fmt"
	"os"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/bootstrap"
)

func main() {
	if bootstrap.Healthcheck(os.Args) {
		return
	}
	cfg, err := bootstrap.LoadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(2)
	}
	fx.New(bootstrap.API(cfg)).Run()
}
