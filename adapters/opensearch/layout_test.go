package opensearch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chatsvc/chat/adapters/opensearch"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/testenv"
)

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

// countHits is how many documents a search (a URL with its query) matches.
func countHits(t *testing.T, search string) int {
	t.Helper()
	var res struct {
		Hits struct {
			Total struct {
				Value int `json:"value"`
			} `json:"total"`
		} `json:"hits"`
	}
	getJSON(t, search+"&size=0&track_total_hits=true", &res)
	return res.Hits.Total.Value
}

// An index made with several shards and replicas has them, and a chat's
// documents all live on one shard (routed by chat), so that a search reads
// one shard.
func TestShardsReplicasAndRouting(t *testing.T) {
	t.Run("node", func(t *testing.T) {
		url, alias := testenv.OpenSearchURL(t)
		shardsReplicasAndRouting(t, url, url, alias)
	})
	// On two nodes every shard has a copy on each: the replicas are assigned.
	t.Run("cluster", func(t *testing.T) {
		pair, alias := testenv.OpenSearchCluster(t)
		shardsReplicasAndRouting(t, pair.URL(), pair.URLs[0], alias)
		waitGreen(t, pair.URLs[0], alias)
		var shards []struct {
			Shard, Prirep, State, Node string
		}
		getJSON(t, pair.URLs[0]+"/_cat/shards/"+alias+"?format=json", &shards)
		nodes := map[string]int{}
		for _, s := range shards {
			if s.State != "STARTED" {
				t.Fatalf("shard %s (%s) is %s", s.Shard, s.Prirep, s.State)
			}
			nodes[s.Node]++
		}
		if len(shards) != 6 || len(nodes) != 2 || nodes[shards[0].Node] != 3 {
			t.Fatalf("3 shards and their replicas over two nodes: %v", shards)
		}
	})
}

func shardsReplicasAndRouting(t *testing.T, urls, url, alias string) {
	ctx := context.Background()
	ix, err := opensearch.New(opensearch.Config{URL: urls, Alias: alias, Shards: 3, Replicas: 1, Refresh: "wait_for"})
	must(t, err)
	must(t, ix.EnsureIndex(ctx))

	var settings map[string]struct {
		Settings struct {
			Index struct {
				Shards   string `json:"number_of_shards"`
				Replicas string `json:"number_of_replicas"`
			} `json:"index"`
		} `json:"settings"`
	}
	getJSON(t, url+"/"+alias+"/_settings", &settings)
	for name, s := range settings {
		if s.Settings.Index.Shards != "3" || s.Settings.Index.Replicas != "1" {
			t.Fatalf("index %s: %s shards, %s replicas; want 3 and 1", name, s.Settings.Index.Shards, s.Settings.Index.Replicas)
		}
	}

	tok := domain.NewToken()
	var batch []domain.IndexedMessage
	for chat := int64(1); chat <= 4; chat++ {
		for n := int64(1); n <= 10; n++ {
			batch = append(batch, msg(tok, chat, n, fmt.Sprintf("routed message %d", n)))
		}
	}
	must(t, ix.IndexMessages(ctx, batch))
	for chat := int64(1); chat <= 4; chat++ {
		holding := 0
		for shard := 0; shard < 3; shard++ {
			switch n := countHits(t, fmt.Sprintf("%s/%s/_search?preference=_shards:%d&q=chat:%d", url, alias, shard, chat)); n {
			case 0:
			case 10:
				holding++
			default:
				t.Fatalf("chat %d: %d of its 10 documents on shard %d", chat, n, shard)
			}
		}
		if holding != 1 {
			t.Fatalf("chat %d's documents are on %d shards, want 1", chat, holding)
		}
	}
}
