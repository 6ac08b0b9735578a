package eventwire

import (
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/chatsvc/chat/domain"
)

// Topics names the partitioned event streams. All the events of one
// application go to the same partition, chosen by its token, so that on a
// Redis Cluster the application's sequence keys and its partition share a
// slot (see Tag) and the script that numbers an event and appends it stays
// on one node; partitions spread the applications over the cluster's nodes.
type Topics struct {
	Prefix     string // "chat.events"
	Partitions int
}

// For is the partition of the application's events.
func (t Topics) For(token domain.Token) string {
	if t.Partitions <= 1 {
		return t.Partition(0)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(token))
	return t.Partition(int(h.Sum32() % uint32(t.Partitions)))
}

// Tag is the Redis Cluster hash tag ("{chat.events.3}") of the
// application's partition: a key carrying it lives in the partition's slot,
// since a key without braces (the stream's) hashes by its whole name.
func (t Topics) Tag(token domain.Token) string { return "{" + t.For(token) + "}" }

// Partition is the topic of partition i.
func (t Topics) Partition(i int) string { return t.Prefix + "." + strconv.Itoa(i) }

// All lists every partition's topic.
func (t Topics) All() []string {
	n := max(t.Partitions, 1)
	out := make([]string, n)
	for i := range out {
		out[i] = t.Partition(i)
	}
	return out
}

// DeadLetter is where events that can never be applied end up.
func (t Topics) DeadLetter() string { return t.Prefix + ".dead" }

// ValidPrefix tells whether a prefix makes topics that hash by their whole
// name (no hash tag of their own), as Tag needs.
func ValidPrefix(p string) bool { return p != "" && !strings.ContainsAny(p, "{}") }
