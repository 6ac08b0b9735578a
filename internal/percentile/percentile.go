// Package percentile is how the benchmark tools (loadgen, livebench,
// searchbench) read percentiles off their latencies, so that their figures
// mean the same thing: the nearest rank (the smallest value at least p% of
// the samples are at or below).
package percentile

import (
	"slices"
	"time"
)

// Sorted gathers the latencies the workers of a run kept, in order.
func Sorted(parts ...[]time.Duration) []time.Duration {
	all := slices.Concat(parts...)
	slices.Sort(all)
	return all
}

// Of is the p-th percentile (0 to 100) of sorted latencies; 0 when there are none.
func Of(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}
