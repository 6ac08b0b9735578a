// Command worker consumes the event stream into MySQL (production profile).
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
	if err == nil && cfg.Profile != bootstrap.ProfileProduction {
		err = fmt.Errorf("the worker runs in the production profile only (set CHAT_PROFILE=production); the embedded profile's api consumes in-process")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	fx.New(bootstrap.Worker(cfg)).Run()
}
