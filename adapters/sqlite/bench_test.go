package sqlite_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Creates in 16 chats from 64 callers, group-committed (synchronous=FULL):
// the embedded profile's commit path without HTTP or the search index.
// ns/op is the wall time per create.
func BenchmarkGroupCommitCreates(b *testing.B) {
	ctx := context.Background()
	q, _, app := appQueue(b, 512, func([]domain.Event, domain.Touched) {})
	for i := 0; i < 16; i++ {
		if _, _, err := q.Append(ctx, domain.ChatCreated{Token: app.Token, CreatedAt: time.Now().UTC()}, domain.Idempotency{}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, _, err := q.Append(ctx, domain.MessageCreated{Token: app.Token, Chat: 1 + i%16, Body: "hello there some words of a body", CreatedAt: time.Now().UTC()}, domain.Idempotency{}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
