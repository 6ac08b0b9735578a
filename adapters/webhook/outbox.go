package webhook

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Logged is an event at its place in the event log: its partition and
// position there (a stream entry's ID), which order a chat's events.
// Embedded, the queue's commits order them and both are empty.
type Logged struct {
	Partition string
	Position  string
	Event     domain.Event
}

// SortablePosition writes a stream entry's ID ("ms-seq") so that positions
// compare as strings in the order the log holds them.
func SortablePosition(id string) string {
	if id == "" {
		return ""
	}
	ms, seq, _ := strings.Cut(id, "-")
	var a, b uint64
	_, _ = fmt.Sscan(ms, &a)
	_, _ = fmt.Sscan(seq, &b)
	return fmt.Sprintf("%020d-%020d", a, b)
}

// PlainPosition is a sortable position as the log wrote it ("ms-seq").
func PlainPosition(sortable string) string {
	ms, seq, ok := strings.Cut(sortable, "-")
	if !ok {
		return sortable
	}
	trim := func(s string) string {
		if s = strings.TrimLeft(s, "0"); s == "" {
			return "0"
		}
		return s
	}
	return trim(ms) + "-" + trim(seq)
}

// NextPosition is the sortable position after last for an event of time
// at: at's millisecond, or last's next when the clock has not passed it,
// so that positions grow in the order they are handed out.
func NextPosition(last string, at time.Time) string {
	ms, seq, _ := strings.Cut(PlainPosition(last), "-")
	var lastMS, lastSeq uint64
	_, _ = fmt.Sscan(ms, &lastMS)
	_, _ = fmt.Sscan(seq, &lastSeq)
	if now := uint64(max(at.UnixMilli(), 0)); now > lastMS {
		return SortablePosition(fmt.Sprintf("%d-0", now))
	}
	return SortablePosition(fmt.Sprintf("%d-%d", lastMS, lastSeq+1))
}

// Due is a delivery whose attempt has come, claimed for one sender for a
// while (the lease): a sender that dies leaves it to be claimed again.
type Due struct {
	Row       int64
	Delivery  Delivery
	Type      string
	Attempts  int       // made so far
	CreatedAt time.Time // the event's
	Since     time.Time // when its series of attempts began: the event, or its replay
}

// Result is what a delivery's attempt leaves in its log.
type Result struct {
	State       string // domain.DeliveryPending (to retry), Delivered or Failed
	Status      int
	Error       string
	NextAttempt time.Time
}

// Recorded is a delivery's attempt as its log keeps it.
type Recorded struct {
	Row int64
	Result
}

// Outbox keeps the deliveries: written with (or right after) the events,
// claimed when due, recorded after each attempt.
type Outbox interface {
	// Claim takes up to limit runs of due deliveries: each the oldest
	// undelivered delivery of its endpoint and chat and up to run-1 of its
	// chat's next ones to that endpoint, in order, none at or after
	// holds[partition] (events of the log from there on may not be in the
	// outbox yet). The first of each run (the head) is kept from other
	// claims until lease has passed, and the rest wait behind it: a whole
	// run costs the outbox one claim.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit, run int, holds map[string]string) ([][]Due, error)
	// Record writes the outcomes of a run's attempts (in its order) at once.
	Record(ctx context.Context, done []Recorded) error
	// Disable disables the endpoint of the delivery row, given up on at
	// now, when nothing was delivered to it since quiet and it existed
	// then, and writes the webhook.disabled record in its log; it says
	// whether it did.
	Disable(ctx context.Context, row int64, now, quiet time.Time) (bool, error)
}
