package progress

import (
	"bytes"
	"strings"
	"sync/atomic"
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

// Follow reads a count others advance; its last line, when stopped, has the
// whole count, and no total means no share or time left.
func TestFollow(t *testing.T) {
	var out bytes.Buffer
	var n atomic.Int64
	r := &Reporter{label: "creates", start: time.Now().Add(-time.Second), out: &out, every: time.Hour}
	stop := r.follow(n.Load, time.Hour) // only stop reads the count
	n.Add(40)
	n.Add(2)
	stop()
	stop() // a second stop does nothing
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "creates: 42 at ") || strings.Contains(last, "%") || strings.Contains(last, "left") {
		t.Fatalf("last line %q of %q", last, lines)
	}
}
