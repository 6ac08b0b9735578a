package bleve_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/bleve"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/corpus"
)

// Creates indexed in batches of 500 (the load generator's bodies, in 16
// chats): the embedded profile's background indexing. ns/op is per message.
func BenchmarkIndexCreates(b *testing.B) {
	s := bleve.NewIndex(filepath.Join(b.TempDir(), "search.bleve"))
	if err := s.Open(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	r := rand.New(rand.NewPCG(1, 2))
	tok, now := domain.NewToken(), time.Now().UTC()
	b.ResetTimer()
	for n := 0; n < b.N; {
		batch := make([]domain.IndexedMessage, 0, 500)
		for ; len(batch) < cap(batch) && n < b.N; n++ {
			batch = append(batch, domain.IndexedMessage{Token: tok, Chat: int64(1 + n%16), Number: int64(1 + n/16), Body: corpus.Body(r), CreatedAt: now, UpdatedAt: now})
		}
		if err := s.IndexMessages(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}
