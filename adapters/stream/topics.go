package stream

import (
	"hash/fnv"
	"strconv"
)

// Topics names the partitioned event streams. Events of one scope always go
// to the same partition; several partitions let a Redis Cluster spread the
// streams over nodes so that no single stream key is the bottleneck.
type Topics struct {
	Prefix     string // "chat.events"
	Partitions int
}

// For is the topic of an event scope.
func (t Topics) For(scope string) string {
	if t.Partitions <= 1 {
		return t.Partition(0)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(scope))
	return t.Partition(int(h.Sum32() % uint32(t.Partitions)))
}

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
