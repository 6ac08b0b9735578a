package eventwire

import (
	"strconv"
	"strings"
)

// Redis stream entry IDs ("1700000000000-3": milliseconds, then a sequence)
// are positions in the log; these order them without a round trip.

func parseID(id string) (ms, seq uint64) {
	a, b, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(a, 10, 64)
	seq, _ = strconv.ParseUint(b, 10, 64)
	return ms, seq
}

// LessID tells whether entry ID a comes before b.
func LessID(a, b string) bool {
	am, as := parseID(a)
	bm, bs := parseID(b)
	return am < bm || (am == bm && as < bs)
}

// NextID is the smallest entry ID after id.
func NextID(id string) string {
	ms, seq := parseID(id)
	return strconv.FormatUint(ms, 10) + "-" + strconv.FormatUint(seq+1, 10)
}
