package opensearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chatsvc/chat/adapters/searchdoc"
	"github.com/chatsvc/chat/ports"
)

func (ix *Index) createIndex(ctx context.Context, name string, withAlias bool) error {
	def := settings(ix.shards, ix.replicas, ix.newAnalysis)
	if withAlias {
		def["aliases"] = map[string]any{ix.alias: map[string]any{}}
	}
	body, _ := json.Marshal(def)
	return ix.do(ctx, http.MethodPut, "/"+name, body, nil)
}

func (ix *Index) newIndexName() string {
	return fmt.Sprintf("%s-%d", ix.alias, time.Now().UTC().UnixNano())
}

// aliasTargets lists the indexes behind the alias.
func (ix *Index) aliasTargets(ctx context.Context) ([]string, error) {
	var res map[string]any
	err := ix.do(ctx, http.MethodGet, "/_alias/"+ix.alias, nil, &res)
	if is(err, http.StatusNotFound, nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(res))
	for name := range res {
		out = append(out, name)
	}
	return out, nil
}

// EnsureIndex creates the index and its alias if absent. The first index
// has a fixed name and is created with its alias in one request, so that
// processes racing here agree: one creates it, the others are told it exists.
func (ix *Index) EnsureIndex(ctx context.Context) error {
	targets, err := ix.aliasTargets(ctx)
	if err != nil {
		return err
	}
	if len(targets) > 0 {
		// Fields added since the index was made (deleted: tombstones;
		// author, type, attributes, reply_to), so that a strict mapping takes documents that carry them.
		body, _ := json.Marshal(map[string]any{"properties": map[string]any{
			"deleted": map[string]any{"type": "boolean"}, "author": authorField, "type": authorField, "attributes": authorField, "reply_to": replyToField}})
		if err := ix.do(ctx, http.MethodPut, "/"+ix.alias+"/_mapping", body, nil); err != nil {
			return err
		}
	}
	if len(targets) == 0 {
		err = ix.createIndex(ctx, ix.alias+"-000001", true)
		if is(err, http.StatusBadRequest, typed("resource_already_exists_exception")) {
			err = nil
		}
		if err != nil {
			return err
		}
	}
	return ix.checkAnalysis(ctx)
}

// ErrOldAnalysis: the index behind the alias predates the analyses this
// version knows. Searches go on (short terms by wildcard) until it is rebuilt.
var ErrOldAnalysis = errors.New("the search index predates the current analysis: rebuild it with cmd/reindex")

// checkAnalysis reads which analysis the index behind the alias was made
// with: searches are written for that one.
func (ix *Index) checkAnalysis(ctx context.Context) error {
	var res map[string]struct {
		Mappings struct {
			Meta map[string]any `json:"_meta"`
		} `json:"mappings"`
	}
	if err := ix.do(ctx, http.MethodGet, "/"+ix.alias+"/_mapping", nil, &res); err != nil {
		return err
	}
	found := analysisLegacy
	for _, idx := range res {
		if name, _ := idx.Mappings.Meta["analysis"].(string); name == analysisTrigrams || name == analysisGrams {
			found = name
		} else if v, _ := idx.Mappings.Meta["analysis_version"].(float64); v == 2 {
			found = analysisGrams // the first version that recorded itself
		}
	}
	ix.analysis.Store(found)
	if found == analysisLegacy {
		return ErrOldAnalysis
	}
	return nil
}

// Rebuild fills a new index from the system of record and moves the alias to
// it in one atomic step, so searches never see a half-built index; then it
// replays what changed meanwhile and drops the old index. It returns how
// many messages it indexed.
//
// onBatch, if given, hears each batch indexed (for progress).
func (ix *Index) Rebuild(ctx context.Context, scan ports.MessageScanner, batch int, onBatch func(n int, next int64)) (int, error) {
	started := time.Now().UTC()
	old, err := ix.aliasTargets(ctx)
	if err != nil {
		return 0, err
	}
	name := ix.newIndexName()
	if err := ix.createIndex(ctx, name, false); err != nil {
		return 0, err
	}
	into := &Index{client: ix.client, alias: name, shards: ix.shards, replicas: ix.replicas, requireAlias: false}
	n, err := searchdoc.Copy(ctx, scan, into, batch, time.Time{}, 0, onBatch)
	if err != nil {
		_ = ix.do(ctx, http.MethodDelete, "/"+name, nil, nil)
		return n, err
	}
	actions := []any{map[string]any{"add": map[string]any{"index": name, "alias": ix.alias}}}
	for _, o := range old {
		actions = append(actions, map[string]any{"remove": map[string]any{"index": o, "alias": ix.alias}})
	}
	body, _ := json.Marshal(map[string]any{"actions": actions})
	if err := ix.do(ctx, http.MethodPost, "/_aliases", body, nil); err != nil {
		return n, err
	}
	// Writes that went to the old index while this one was filling.
	m, err := searchdoc.Copy(ctx, scan, ix, batch, started.Add(-5*time.Second), 0, nil)
	if err != nil {
		return n + m, err
	}
	if len(old) > 0 {
		if err := ix.do(ctx, http.MethodDelete, "/"+strings.Join(old, ","), nil, nil); err != nil {
			return n + m, err
		}
	}
	return n + m, ix.checkAnalysis(ctx)
}

// Repair re-indexes every message changed since since (all of them for the
// zero time). Indexing is versioned, so repairing what is already right
// changes nothing; it is how a gap left by an outage is closed.
// It starts after the scan position from (0: the start), so that an
// interrupted repair resumes where it stopped; onBatch hears each batch and
// the position after it.
func (ix *Index) Repair(ctx context.Context, scan ports.MessageScanner, batch int, since time.Time, from int64, onBatch func(n int, next int64)) (int, error) {
	return searchdoc.Copy(ctx, scan, ix, batch, since, from, onBatch)
}

// Refresh makes everything indexed so far searchable (tests, the reindex command).
func (ix *Index) Refresh(ctx context.Context) error {
	return ix.do(ctx, http.MethodPost, "/"+ix.alias+"/_refresh", nil, nil)
}

// Drop deletes the alias's indexes (benchmarks and tests clean up with it).
func (ix *Index) Drop(ctx context.Context) error {
	targets, err := ix.aliasTargets(ctx)
	if err != nil || len(targets) == 0 {
		return err
	}
	return ix.do(ctx, http.MethodDelete, "/"+strings.Join(targets, ","), nil, nil)
}
