package opensearch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

// One node of the two-node cluster stops: searches still find every
// document (the other node holds a copy of each shard), indexing goes on
// (new messages, edits, deletes), and once the node is back it catches up
// and everything reads the same from either node.
func TestSearchAndIndexingSurviveALostNode(t *testing.T) {
	ctx := context.Background()
	pair, alias := testenv.OpenSearchClusterToStop(t)
	ix, err := opensearch.New(opensearch.Config{URL: pair.URL(), Alias: alias, Shards: 2, Replicas: 1, Refresh: "wait_for"})
	must(t, err)
	must(t, ix.EnsureIndex(ctx))
	waitGreen(t, pair.URLs[0], alias)

	tok := domain.NewToken()
	const chats, each = 6, 20
	var batch []domain.IndexedMessage
	for chat := int64(1); chat <= chats; chat++ {
		for n := int64(1); n <= each; n++ {
			batch = append(batch, msg(tok, chat, n, fmt.Sprintf("before the loss %d", n)))
		}
	}
	must(t, ix.IndexMessages(ctx, batch))
	found := func(chat int64, query string) int {
		t.Helper()
		q, err := domain.NewSearchQuery(query)
		must(t, err)
		page, err := ix.Search(ctx, tok, chat, q, domain.PageRequest[domain.SearchCursor]{Limit: 100})
		must(t, err)
		return len(page.Items)
	}

	stopped := pair.StopNode(t)
	t.Logf("stopped the node at %s", stopped)
	for chat := int64(1); chat <= chats; chat++ {
		if n := found(chat, "before the loss"); n != each {
			t.Fatalf("with a node stopped, chat %d: %d of its %d messages found", chat, n, each)
		}
	}
	// Indexing goes on: new messages in every chat, an edit, a delete.
	batch = batch[:0]
	for chat := int64(1); chat <= chats; chat++ {
		batch = append(batch, msg(tok, chat, each+1, "written while a node was down"))
	}
	edited := msg(tok, 1, 1, "edited while a node was down")
	edited.Version = 2
	deleted := msg(tok, 2, 1, "")
	deleted.Version, deleted.Deleted = 2, true
	must(t, ix.IndexMessages(ctx, append(batch, edited, deleted)))
	for chat := int64(1); chat <= chats; chat++ {
		if n := found(chat, "while a node was down"); n != 1+map[int64]int{1: 1}[chat] {
			t.Fatalf("with a node stopped, chat %d: %d messages written meanwhile found", chat, n)
		}
	}
	if n := found(2, "before the loss"); n != each-1 {
		t.Fatalf("the message deleted while a node was down: chat 2 finds %d, want %d", n, each-1)
	}

	pair.StartNode(t)
	waitGreen(t, pair.URLs[0], alias)
	// Each node answers alone the same (preference=_only_local reads its
	// own copies): every document, the delete's tombstone among them.
	for _, url := range pair.URLs {
		for query, want := range map[string]int{"*:*": chats*each + chats, "deleted:true": 1} {
			if n := countHits(t, url+"/"+alias+"/_search?preference=_only_local&q="+query); n != want {
				t.Fatalf("node %s holds %d documents matching %s, want %d", url, n, query, want)
			}
		}
	}
}

// waitGreen waits until every shard of the index and its replicas are
// assigned: the cluster answers when they are (or when its timeout ends).
func waitGreen(t *testing.T, url, index string) {
	t.Helper()
	res, err := (&http.Client{Timeout: 100 * time.Second}).Get(url + "/_cluster/health/" + index + "?wait_for_status=green&timeout=90s")
	if err != nil {
		t.Fatalf("waiting for green: %v", err)
	}
	defer res.Body.Close()
	var h struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil || h.Status != "green" {
		t.Fatalf("index %s is %q (%v), not green", index, h.Status, err)
	}
}
