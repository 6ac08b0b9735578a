package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Off a terminal, a line every few seconds says the count, the share, the
// rate, the time left and where to resume; the last one when it finishes.
func TestPlainLines(t *testing.T) {
	var out bytes.Buffer
	r := &Reporter{label: "repair", total: 100, start: time.Now().Add(-10 * time.Second), out: &out, every: 0}
	r.Add(25, "-repair -from 250")
	r.Finish()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	for _, want := range []string{"repair: 25/100 (25%)", "/s", "left", "-repair -from 250"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("%q lacks %q", lines[0], want)
		}
	}
}
