// Package progress shows how far a long command is: a progress bar
// (schollz/progressbar) on a terminal, a plain line every few seconds
// otherwise, each with the count, the rate, the time left and where to
// resume from.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Reporter follows one long walk of total items (0: not known beforehand).
type Reporter struct {
	label    string
	total    int64
	done     int64
	resume   string
	start    time.Time
	lastLine time.Time
	out      io.Writer
	bar      *progressbar.ProgressBar
	every    time.Duration
}

// New starts reporting on stderr.
func New(label string, total int64) *Reporter {
	r := &Reporter{label: label, total: total, start: time.Now(), out: os.Stderr, every: 2 * time.Second}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		barTotal := total
		if barTotal <= 0 {
			barTotal = -1 // a spinner with the count and the rate
		}
		r.bar = progressbar.NewOptions64(barTotal, progressbar.OptionSetDescription(label), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond))
	}
	return r
}

// Add counts n more items done; resume is what to pass to pick up from here.
func (r *Reporter) Add(n int, resume string) {
	r.done += int64(n)
	r.resume = resume
	if r.bar != nil {
		_ = r.bar.Add(n)
		return
	}
	if time.Since(r.lastLine) >= r.every {
		r.lastLine = time.Now()
		fmt.Fprintln(r.out, r.Line())
	}
}

// Line is where the walk stands, in words.
func (r *Reporter) Line() string {
	elapsed := time.Since(r.start)
	rate := float64(r.done) / max(elapsed.Seconds(), 0.001)
	line := fmt.Sprintf("%s: %d", r.label, r.done)
	if r.total > 0 {
		line += fmt.Sprintf("/%d (%.0f%%)", r.total, 100*float64(r.done)/float64(r.total))
	}
	line += fmt.Sprintf(" at %.0f/s", rate)
	if r.total > r.done && rate > 0 {
		line += fmt.Sprintf(", about %s left", (time.Duration(float64(r.total-r.done)/rate) * time.Second).Round(time.Second))
	}
	if r.resume != "" {
		line += "; to resume from here: " + r.resume
	}
	return line
}

// Finish ends the bar and says where the walk stopped.
func (r *Reporter) Finish() {
	if r.bar != nil {
		_ = r.bar.Finish()
		fmt.Fprintln(r.out)
	}
	fmt.Fprintln(r.out, r.Line())
}

// Follow reports on a count that many goroutines advance (a load
// generator's workers), so that they need not share the Reporter: it reads
// count every tick until stop is called, which ends the report.
func Follow(label string, total int64, count func() int64) (stop func()) {
	return New(label, total).follow(count, 200*time.Millisecond)
}

func (r *Reporter) follow(count func() int64, tick time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.Add(int(count()-r.done), "")
			case <-done:
				r.Add(int(count()-r.done), "")
				r.Finish()
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done); wg.Wait() })
	}
}
