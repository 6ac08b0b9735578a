package opensearch_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func newIndex(t *testing.T) *opensearch.Index { return newIndexOf(t, "") }

func newIndexOf(t *testing.T, analysis string) *opensearch.Index {
	t.Helper()
	url, alias := testenv.OpenSearchURL(t)
	ix, err := opensearch.New(opensearch.Config{URL: url, Alias: alias, Refresh: "wait_for", Analysis: analysis})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestSearchIndexContract(t *testing.T) {
	t.Run("node", func(t *testing.T) {
		porttest.SearchIndexContract(t, func(t *testing.T) ports.SearchIndex { return newIndex(t) })
	})
	// On the two-node cluster: two shards, each with a replica on the other node.
	t.Run("cluster", func(t *testing.T) {
		porttest.SearchIndexContract(t, func(t *testing.T) ports.SearchIndex {
			pair, alias := testenv.OpenSearchCluster(t)
			ix, err := opensearch.New(opensearch.Config{URL: pair.URL(), Alias: alias, Shards: 2, Replicas: 1, Refresh: "wait_for"})
			must(t, err)
			must(t, ix.EnsureIndex(context.Background()))
			return ix
		})
	})
}

// The analysis before trigrams still answers the same: an index made with
// it keeps working until it is rebuilt.
func TestSearchIndexContractGrams(t *testing.T) {
	porttest.SearchIndexContract(t, func(t *testing.T) ports.SearchIndex { return newIndexOf(t, "grams") })
}

func msg(tok domain.Token, chat, n int64, body string) domain.IndexedMessage {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return domain.IndexedMessage{Token: tok, Chat: chat, Number: n, Body: body, CreatedAt: now, UpdatedAt: now}
}

func TestUnreachableIsUnavailable(t *testing.T) {
	ix, err := opensearch.New(opensearch.Config{URL: "http://127.0.0.1:1", Alias: "x"})
	must(t, err)
	q, _ := domain.NewSearchQuery("x")
	_, err = ix.Search(context.Background(), domain.NewToken(), 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 1})
	if !errorsIs(err, domain.ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
	if err := ix.IndexMessages(context.Background(), []domain.IndexedMessage{msg(domain.NewToken(), 1, 1, "x")}); !errorsIs(err, domain.ErrUnavailable) {
		t.Fatalf("index error %v, want ErrUnavailable", err)
	}
}

// Processes starting together race to create the index: one creates it,
// the others are told it exists, and all of them go on.
func TestConcurrentEnsureIndexAllSucceed(t *testing.T) {
	url, alias := testenv.OpenSearchURL(t)
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			ix, err := opensearch.New(opensearch.Config{URL: url, Alias: alias})
			if err == nil {
				err = ix.EnsureIndex(context.Background())
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		must(t, <-errs)
	}
}
