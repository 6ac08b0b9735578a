// Package healthcheck lets a container probe its own process without curl
// (the image is distroless): `api -healthcheck URL`.
package healthcheck

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// Probe asks url and returns the process's exit code: 0 on a 200, 1
// otherwise, saying why on stderr.
func Probe(url string, stderr io.Writer) int {
	c := &http.Client{Timeout: 4 * time.Second}
	res, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "healthcheck: status", res.StatusCode)
		return 1
	}
	return 0
}
