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

// Due is a delivery whose attempt has come, claimed for one sender for a
// while (the lease): a sender that dies leaves it to be claimed again.
type Due struct {
	Row       int64
	Delivery  Delivery
	Type      string
	Attempts  int       // made so far
	CreatedAt time.Time // the event's
}

// Result is what a delivery's attempt leaves in its log.
type Result struct {
	State       string // domain.DeliveryPending (to retry), Delivered or Failed
	Status      int
	Error       string
	NextAttempt time.Time
}

// Outbox keeps the deliveries: written with (or right after) the events,
// claimed when due, recorded after each attempt.
type Outbox interface {
	// Claim takes up to limit due deliveries, each the oldest undelivered
	// of its endpoint and chat, none at or after holds[partition] (events
	// of the log from there on may not be in the outbox yet), and keeps them
	// from other claims until lease has passed.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int, holds map[string]string) ([]Due, error)
	Record(ctx context.Context, row int64, r Result) error
}
