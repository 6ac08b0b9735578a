package percentile

import (
	"testing"
	"time"
)

func TestNearestRank(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- {
		hundred = append(hundred, time.Duration(i))
	}
	all := Sorted(hundred[:50], hundred[50:])
	for p, want := range map[int]time.Duration{0: 1, 1: 1, 50: 50, 99: 99, 100: 100} {
		if got := Of(all, p); got != want {
			t.Errorf("p%d of 1..100 = %d, want %d", p, got, want)
		}
	}
	three := Sorted([]time.Duration{3, 1, 2})
	for p, want := range map[int]time.Duration{50: 2, 99: 3, 100: 3} {
		if got := Of(three, p); got != want {
			t.Errorf("p%d of 1..3 = %d, want %d", p, got, want)
		}
	}
	if Of(nil, 99) != 0 {
		t.Error("no samples, yet a percentile")
	}
}
