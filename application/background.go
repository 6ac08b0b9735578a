package application

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
)

// BackgroundIndexer indexes committed events off the request path (the
// embedded profile, whose creates are answered once they are in the
// database): batches that arrive together go to the index together.
// Whatever it could not index (the index failing for good, a crash) the
// repair at the next start puts right: the index is derived from the
// database.
type BackgroundIndexer struct {
	indexer   *Indexer
	onErr     func(error)
	onIndexed func(events int)
	in        chan []domain.Event
	done      chan struct{}
	maxBatch  int
	linger    time.Duration
}

// NewBackgroundIndexer buffers up to queued batches; Add waits beyond that.
// It waits up to linger for a batch to fill to maxBatch: an index does much
// less work per document in large batches. onIndexed hears how many events
// each batch indexed (the metrics).
func NewBackgroundIndexer(indexer *Indexer, queued, maxBatch int, linger time.Duration, onErr func(error), onIndexed func(events int)) *BackgroundIndexer {
	return &BackgroundIndexer{indexer: indexer, onErr: onErr, onIndexed: onIndexed, in: make(chan []domain.Event, queued),
		done: make(chan struct{}), maxBatch: max(maxBatch, 1), linger: linger}
}

// Add queues committed events for indexing.
func (b *BackgroundIndexer) Add(events []domain.Event) { b.in <- events }

// Run indexes until Close; then it indexes what is still queued and returns.
func (b *BackgroundIndexer) Run() {
	defer close(b.done)
	for first := range b.in {
		batch := first
		timer := time.NewTimer(b.linger)
	more:
		for len(batch) < b.maxBatch {
			select {
			case evs, ok := <-b.in:
				if !ok {
					break more
				}
				batch = append(batch, evs...)
			case <-timer.C:
				break more
			}
		}
		timer.Stop()
		b.index(batch)
	}
}

func (b *BackgroundIndexer) index(batch []domain.Event) {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := b.indexer.Apply(ctx, batch)
		cancel()
		if err == nil {
			b.onIndexed(len(batch))
			return
		}
		b.onErr(err)
		if attempt == 5 {
			return // the repair at the next start indexes it
		}
		time.Sleep(backoff)
		backoff *= 4
	}
}

// Close stops taking events and waits for those queued to be indexed.
func (b *BackgroundIndexer) Close() {
	close(b.in)
	<-b.done
}
