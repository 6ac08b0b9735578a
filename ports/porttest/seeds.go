package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/chatsvc/chat/domain"
)

// Seeds is an in-memory ports.SequenceSeeds and ports.SequenceFences: what
// the system of record would say about persisted chats and messages.
type Seeds struct {
	mu       sync.Mutex
	Chats    map[domain.Token]int64
	Messages map[domain.ChatKey][2]int64 // number, version
	// Reserved and Epochs are keyed by fmt.Sprint(domain.ChatKey{token, chat}), chat 0 for the application.
	Reserved map[string]int64
	Epochs   map[string]int64
	// Answers are the idempotency keys kept, keyed by token + "/" + key.
	Answers map[string]domain.FirstAnswer
}

func NewSeeds() *Seeds {
	return &Seeds{Chats: map[domain.Token]int64{}, Messages: map[domain.ChatKey][2]int64{},
		Reserved: map[string]int64{}, Epochs: map[string]int64{}, Answers: map[string]domain.FirstAnswer{}}
}

func (s *Seeds) Reserve(_ context.Context, t domain.Token, chat, _, upTo int64) (int64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprint(domain.ChatKey{Token: t, Number: chat})
	s.Reserved[k] = max(s.Reserved[k], upTo)
	return 0, s.Reserved[k], nil
}

func (s *Seeds) FenceChats(ctx context.Context, t domain.Token, floor int64) (int64, int64, error) {
	n, err := s.ChatSeed(ctx, t)
	if err != nil {
		return 0, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprint(domain.ChatKey{Token: t})
	s.Epochs[k]++
	return max(n, s.Reserved[k], floor), s.Epochs[k], nil
}

func (s *Seeds) FenceMessages(ctx context.Context, t domain.Token, chat, floor int64) (int64, int64, int64, error) {
	n, v, err := s.MessageSeed(ctx, t, chat)
	if err != nil {
		return 0, 0, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprint(domain.ChatKey{Token: t, Number: chat})
	s.Epochs[k]++
	return max(n, s.Reserved[k], floor), max(v, s.Epochs[k]<<32), s.Epochs[k], nil
}

func (s *Seeds) ChatSeed(_ context.Context, t domain.Token) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.Chats[t]
	if !ok {
		return 0, domain.NotFoundf("application not found")
	}
	return n, nil
}

func (s *Seeds) MessageSeed(_ context.Context, t domain.Token, chat int64) (int64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.Messages[domain.ChatKey{Token: t, Number: chat}]
	if !ok {
		if last, known := s.Chats[t]; !known || chat > last {
			return 0, 0, domain.NotFoundf("chat not found")
		}
	}
	return v[0], v[1], nil
}

func (s *Seeds) FirstAnswer(_ context.Context, t domain.Token, key string) (domain.FirstAnswer, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.Answers[string(t)+"/"+key]
	return a, ok, nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantNotFound(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("error %v, want one wrapping domain.ErrNotFound", err)
	}
}
