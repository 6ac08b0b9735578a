package stream

import (
	"context"
	"sync"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Applier is what the consumer hands decoded events to: the worker's use case.
type Applier interface {
	Apply(ctx context.Context, events []domain.Event) error
}

type pending[T any] struct {
	ev   T
	done chan error
}

// batcher gathers the events that many consumer goroutines hold at the same
// moment into one apply call: one transaction for many events is what lets a
// worker keep up with the api. A failed batch is retried event by event, so
// that one bad event cannot fail its neighbours. (T: the consumer's events,
// the intake's events with their places in the log.)
type batcher[T any] struct {
	apply    func(context.Context, []T) error
	in       chan pending[T]
	max      int
	linger   time.Duration
	flushers int
	wg       sync.WaitGroup
	stop     chan struct{}
}

// newBatcher makes a batcher; start starts its flushers.
func newBatcher[T any](apply func(context.Context, []T) error, maxBatch, flushers int, linger time.Duration) *batcher[T] {
	return &batcher[T]{apply: apply, in: make(chan pending[T]), max: max(maxBatch, 1), linger: linger, flushers: max(flushers, 1), stop: make(chan struct{})}
}

func (b *batcher[T]) start() {
	for range b.flushers {
		b.wg.Add(1)
		go b.loop()
	}
}

// submit blocks until the event's batch was applied, and returns its outcome.
func (b *batcher[T]) submit(ctx context.Context, ev T) error {
	p := pending[T]{ev: ev, done: make(chan error, 1)}
	select {
	case b.in <- p:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return context.Canceled
	}
	// Once handed over, the outcome always comes: the flusher finishes the
	// batch in hand even while stopping.
	return <-p.done
}

func (b *batcher[T]) close() {
	close(b.stop)
	b.wg.Wait()
}

func (b *batcher[T]) loop() {
	defer b.wg.Done()
	batch := make([]pending[T], 0, b.max)
	for {
		select {
		case <-b.stop:
			return
		case p := <-b.in:
			batch = append(batch[:0], p)
		}
		timer := time.NewTimer(b.linger)
	fill:
		for len(batch) < b.max {
			select {
			case p := <-b.in:
				batch = append(batch, p)
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		b.flush(batch)
	}
}

func (b *batcher[T]) flush(batch []pending[T]) {
	// The batch's own context: the events were handed over, so the write is
	// finished even if the consumer is stopping meanwhile.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := make([]T, len(batch))
	for i, p := range batch {
		events[i] = p.ev
	}
	err := b.apply(ctx, events)
	if err == nil || len(batch) == 1 {
		for _, p := range batch {
			p.done <- err
		}
		return
	}
	for _, p := range batch {
		p.done <- b.apply(ctx, []T{p.ev})
	}
}
