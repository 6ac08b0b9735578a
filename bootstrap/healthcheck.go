package bootstrap

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

// Healthcheck lets a container probe its own process without curl (the
// image is distroless): `api -healthcheck URL` exits 0 on a 200, 1 otherwise.
// It reports whether args asked for it.
func Healthcheck(args []string) bool {
	if len(args) != 3 || args[1] != "-healthcheck" {
		return false
	}
	c := &http.Client{Timeout: 4 * time.Second}
	res, err := c.Get(args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck: status", res.StatusCode)
		os.Exit(1)
	}
	os.Exit(0)
	return true
}
