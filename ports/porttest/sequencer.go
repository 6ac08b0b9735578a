package porttest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
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
}

func NewSeeds() *Seeds {
	return &Seeds{Chats: map[domain.Token]int64{}, Messages: map[domain.ChatKey][2]int64{},
		Reserved: map[string]int64{}, Epochs: map[string]int64{}}
}

func (s *Seeds) Reserve(_ context.Context, t domain.Token, chat, upTo int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprint(domain.ChatKey{Token: t, Number: chat})
	s.Reserved[k] = max(s.Reserved[k], upTo)
	return nil
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

// SequencerContract runs the ports.Sequencer suite. newSeq builds a fresh
// sequencer that re-seeds itself from seeds.
func SequencerContract(t *testing.T, newSeq func(t *testing.T, seeds *Seeds) ports.Sequencer) {
	ctx := context.Background()
	t.Run("chat numbers start at 1 and grow by 1", func(t *testing.T) {
		seq := newSeq(t, NewSeeds())
		tok := domain.NewToken()
		must(t, seq.RegisterApplication(ctx, tok))
		for want := int64(1); want <= 3; want++ {
			got, err := seq.NextChatNumber(ctx, tok)
			must(t, err)
			if got != want {
				t.Fatalf("chat number %d, want %d", got, want)
			}
		}
	})
	t.Run("registering twice does not restart the sequence", func(t *testing.T) {
		seq := newSeq(t, NewSeeds())
		tok := domain.NewToken()
		must(t, seq.RegisterApplication(ctx, tok))
		_, _ = seq.NextChatNumber(ctx, tok)
		must(t, seq.RegisterApplication(ctx, tok))
		if got, _ := seq.NextChatNumber(ctx, tok); got != 2 {
			t.Fatalf("chat number %d after a second registration, want 2", got)
		}
	})
	t.Run("unknown application is not found", func(t *testing.T) {
		seq := newSeq(t, NewSeeds())
		_, err := seq.NextChatNumber(ctx, domain.NewToken())
		wantNotFound(t, err)
		_, err = seq.NextMessageNumber(ctx, domain.NewToken(), 1)
		wantNotFound(t, err)
	})
	t.Run("an application the sequencer never heard of resumes after the stored chats", func(t *testing.T) {
		seeds := NewSeeds()
		tok := domain.NewToken()
		seeds.Chats[tok] = 5
		seeds.Messages[domain.ChatKey{Token: tok, Number: 2}] = [2]int64{7, 3}
		seq := newSeq(t, seeds)
		if got, err := seq.NextChatNumber(ctx, tok); err != nil || got != 6 {
			t.Fatalf("NextChatNumber = %d, %v; want 6", got, err)
		}
		if got, err := seq.NextMessageNumber(ctx, tok, 2); err != nil || got != 8 {
			t.Fatalf("NextMessageNumber = %d, %v; want 8 (after the 7 stored)", got, err)
		}
		if got, err := seq.NextEditVersion(ctx, tok, 2, 7); err != nil || got <= 3 {
			t.Fatalf("NextEditVersion = %d, %v; want above the stored version 3", got, err)
		}
		if got, err := seq.NextMessageNumber(ctx, tok, 6); err != nil || got != 1 {
			t.Fatalf("NextMessageNumber in the new chat = %d, %v; want 1", got, err)
		}
	})
	t.Run("messages are numbered per chat, only in allocated chats", func(t *testing.T) {
		seq := newSeq(t, NewSeeds())
		tok := domain.NewToken()
		must(t, seq.RegisterApplication(ctx, tok))
		_, _ = seq.NextChatNumber(ctx, tok)
		_, _ = seq.NextChatNumber(ctx, tok)
		for _, chat := range []int64{1, 2} {
			for want := int64(1); want <= 3; want++ {
				got, err := seq.NextMessageNumber(ctx, tok, chat)
				must(t, err)
				if got != want {
					t.Fatalf("chat %d: message number %d, want %d", chat, got, want)
				}
			}
		}
		_, err := seq.NextMessageNumber(ctx, tok, 3)
		wantNotFound(t, err)
	})
	t.Run("edit versions grow and need an allocated message", func(t *testing.T) {
		seq := newSeq(t, NewSeeds())
		tok := domain.NewToken()
		must(t, seq.RegisterApplication(ctx, tok))
		_, _ = seq.NextChatNumber(ctx, tok)
		_, err := seq.NextEditVersion(ctx, tok, 1, 1)
		wantNotFound(t, err)
		_, _ = seq.NextMessageNumber(ctx, tok, 1)
		_, _ = seq.NextMessageNumber(ctx, tok, 1)
		v1, err := seq.NextEditVersion(ctx, tok, 1, 2)
		must(t, err)
		v2, err := seq.NextEditVersion(ctx, tok, 1, 1)
		must(t, err)
		if v2 <= v1 {
			t.Fatalf("versions %d then %d: want growing", v1, v2)
		}
		_, err = seq.NextEditVersion(ctx, tok, 1, 3)
		wantNotFound(t, err)
		_, err = seq.NextEditVersion(ctx, tok, 2, 1)
		wantNotFound(t, err)
	})
	t.Run("concurrent allocations are unique and gapless", func(t *testing.T) {
		seq := newSeq(t, NewSeeds())
		tok := domain.NewToken()
		must(t, seq.RegisterApplication(ctx, tok))
		_, _ = seq.NextChatNumber(ctx, tok)
		const n = 200
		got := make([]int64, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				v, err := seq.NextMessageNumber(ctx, tok, 1)
				if err != nil {
					errs <- err
				}
				got[i] = v
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		for i, v := range got {
			if v != int64(i+1) {
				t.Fatalf("sorted numbers[%d] = %d, want %d", i, v, i+1)
			}
		}
	})
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
