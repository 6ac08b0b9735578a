package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// OpenSearchURL returns the URL of a reachable OpenSearch and an index (alias)
// name of this test's own; every index under that name is deleted at the end.
func OpenSearchURL(t testing.TB) (url, alias string) {
	t.Helper()
	url = os.Getenv("CHAT_TEST_OPENSEARCH_URL")
	if url == "" {
		url = "http://127.0.0.1:9200"
	}
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Get(url + "/_cluster/health")
	if err != nil {
		unavailable(t, "OpenSearch", err)
		return "", ""
	}
	res.Body.Close()
	alias = "test-" + Suffix()
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, url+"/"+alias+"*", nil)
		if res, err := c.Do(req); err == nil {
			res.Body.Close()
		}
	})
	return url, alias
}

// OpenSearchPair is the two-node OpenSearch cluster scripts/services.sh
// starts (scripts/opensearch/TwoNodes.java), with its control.
type OpenSearchPair struct {
	URLs    []string // each node's
	ctl     string
	stopped bool
	alone   bool // taken by OpenSearchClusterToStop
}

// URL is the nodes' URLs as CHAT_OPENSEARCH_URL takes them.
func (p *OpenSearchPair) URL() string { return strings.Join(p.URLs, ",") }

// OpenSearchCluster returns the two-node cluster, both nodes up, and an
// index (alias) name of this test's own, deleted at the end. The test
// shares the cluster with the tests of other packages running beside it,
// but never with one that stops a node.
func OpenSearchCluster(t testing.TB) (pair *OpenSearchPair, alias string) {
	t.Helper()
	holdLock(t, pairLock, false)
	return openSearchCluster(t, false)
}

// OpenSearchClusterToStop is OpenSearchCluster for a test that stops a node
// (StopNode): it has the cluster to itself until it ends.
func OpenSearchClusterToStop(t testing.TB) (pair *OpenSearchPair, alias string) {
	t.Helper()
	holdLock(t, pairLock, true)
	return openSearchCluster(t, true)
}

func openSearchCluster(t testing.TB, alone bool) (pair *OpenSearchPair, alias string) {
	t.Helper()
	pair = &OpenSearchPair{
		alone: alone,
		URLs:  strings.Split(env("CHAT_TEST_OPENSEARCH_CLUSTER", "http://127.0.0.1:9201,http://127.0.0.1:9202"), ","),
		ctl:   env("CHAT_TEST_OPENSEARCH_CONTROL", "http://127.0.0.1:9290"),
	}
	if _, err := pair.control("/", http.StatusNotFound); err != nil {
		unavailable(t, "the two-node OpenSearch cluster's control", err)
		return nil, ""
	}
	// Both nodes up; a node that a test left stopped (it died before its
	// cleanup) is started again.
	for attempt := 0; ; attempt++ {
		nodes, err := pair.nodes(30 * time.Second)
		if nodes == 2 {
			break
		}
		if attempt == 1 {
			unavailable(t, "the two-node OpenSearch cluster", fmt.Errorf("%d nodes: %v", nodes, err))
			return nil, ""
		}
		_, _ = pair.control("/start", http.StatusConflict)
	}
	alias = "test-" + Suffix()
	t.Cleanup(func() {
		for _, u := range pair.URLs {
			req, _ := http.NewRequest(http.MethodDelete, u+"/"+alias+"*", nil)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
				return
			}
		}
	})
	return pair, alias
}

// nodes is the cluster's node count, as the first node answering sees it
// once both nodes joined or wait ended.
func (p *OpenSearchPair) nodes(wait time.Duration) (int, error) {
	var err error
	for _, u := range p.URLs {
		var res *http.Response
		res, err = (&http.Client{Timeout: wait + 5*time.Second}).Get(u + "/_cluster/health?wait_for_nodes=2&timeout=" + strconv.Itoa(int(wait.Seconds())) + "s")
		if err != nil {
			continue
		}
		var h struct {
			Nodes int `json:"number_of_nodes"`
		}
		err = json.NewDecoder(res.Body).Decode(&h)
		res.Body.Close()
		return h.Nodes, err
	}
	return 0, err
}

// StopNode stops the node that is not the cluster manager and returns its
// URL; it starts again by StartNode, or when the test ends.
func (p *OpenSearchPair) StopNode(t testing.TB) string {
	t.Helper()
	if !p.alone {
		t.Fatal("StopNode on a cluster shared with other tests: take it with OpenSearchClusterToStop")
	}
	port, err := p.control("/stop")
	if err != nil {
		t.Fatalf("stopping a node: %v", err)
	}
	p.stopped = true
	t.Cleanup(func() {
		if p.stopped {
			p.StartNode(t)
		}
	})
	return "http://127.0.0.1:" + port
}

// StartNode starts the stopped node again and waits until it joined.
func (p *OpenSearchPair) StartNode(t testing.TB) {
	t.Helper()
	if _, err := p.control("/start"); err != nil {
		t.Fatalf("starting the node: %v", err)
	}
	p.stopped = false
	if n, err := p.nodes(60 * time.Second); n != 2 {
		t.Fatalf("the node started again did not join (%d nodes, %v)", n, err)
	}
}

// control asks TwoNodes; statuses other than 200 in ok are not errors.
func (p *OpenSearchPair) control(path string, ok ...int) (string, error) {
	res, err := (&http.Client{Timeout: 90 * time.Second}).Post(p.ctl+path, "text/plain", nil)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK && !slices.Contains(ok, res.StatusCode) {
		return "", fmt.Errorf("%s: %s %s", path, res.Status, b)
	}
	return string(b), nil
}
