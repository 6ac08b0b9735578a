package httpapi

import (
	"context"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/chatsvc/chat/adapters/metrics"
)

// A worker's ops server does not log itself as the api.
func TestServersSayWhatListens(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := NewOpsServer(Config{Addr: "127.0.0.1:0"}, nil, metrics.New(), zap.New(core))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if logs.FilterMessage("health and metrics listening").Len() != 1 || logs.FilterMessage("api listening").Len() != 0 {
		t.Fatalf("the ops server logged %v", logs.All())
	}
}
