// Package opensearch is the message search index on OpenSearch (the
// opensearch-go v4 client). It implements ports.SearchIndex and the index
// lifecycle (create if absent, rebuild behind an alias, repair), with the
// documents and the term rule of searchdoc and the folding of textfold.
package opensearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	opensearchgo "github.com/opensearch-project/opensearch-go/v4"

	"github.com/chatsvc/chat/adapters/searchdoc"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/internal/commalist"
)

// Index is one alias (Name) over a concrete index (Name-<timestamp>).
type Index struct {
	client   *opensearchgo.Client
	alias    string
	shards   int
	replicas int
	// Refresh "wait_for" makes indexed documents visible before the bulk
	// returns (tests); "" leaves it to the 1s refresh interval.
	refresh string
	// requireAlias is off only while Rebuild fills a new concrete index.
	requireAlias bool
	// newAnalysis is what a new index is made with; analysis is what the
	// index behind the alias was made with (EnsureIndex reads it).
	newAnalysis string
	analysis    atomic.Value
}

// Config tunes the index.
type Config struct {
	// URL is one node's, or several nodes' of a cluster, comma-separated:
	// requests go round the nodes, and one that fails to answer is set
	// aside for a while and its requests retried on another.
	URL    string
	Alias  string // "messages"
	Shards int
	// Replicas of each shard a new index gets (0 on one node; 1 or more on
	// a cluster, so that the index survives losing a node).
	Replicas int
	Refresh  string
	// Analysis of new indexes: "trigrams" (the default) or "grams" (see analysis.go).
	Analysis string
}

// New builds the client. It does not contact OpenSearch: Ping and EnsureIndex do.
func New(cfg Config) (*Index, error) {
	c, err := opensearchgo.NewClient(opensearchgo.Config{
		Addresses:  commalist.Split(cfg.URL),
		MaxRetries: 2,
		// No gzip: Go's transport asks for it unless told not to, and OpenSearch
		// then spends its CPU (the search path's bound) compressing every
		// answer that the api decompresses at once, over loopback or a LAN.
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: 30 * time.Second, DisableCompression: true},
	})
	if err != nil {
		return nil, err
	}
	switch cfg.Analysis {
	case "":
		cfg.Analysis = analysisTrigrams
	case analysisTrigrams, analysisGrams:
	default:
		return nil, fmt.Errorf("unknown search analysis %q (trigrams or grams)", cfg.Analysis)
	}
	ix := &Index{client: c, alias: cfg.Alias, shards: max(cfg.Shards, 1), replicas: max(cfg.Replicas, 0), refresh: cfg.Refresh, requireAlias: true, newAnalysis: cfg.Analysis}
	ix.analysis.Store(analysisLegacy) // until EnsureIndex has looked
	return ix, nil
}

// do sends one request; a transport failure or a 5xx is "unavailable".
func (ix *Index) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		ct := "application/json"
		if strings.HasSuffix(path, "_bulk") || strings.Contains(path, "_bulk?") {
			ct = "application/x-ndjson"
		}
		req.Header.Set("Content-Type", ct)
	}
	// Stream, not Perform: Perform reads the whole answer into a buffer of
	// its own before this reads it again (the retries and node selection are
	// the same).
	res, err := ix.client.Stream(req)
	if err != nil {
		if res != nil && res.Body != nil { // an answer can come with an error
			res.Body.Close()
		}
		if errors.Is(err, context.Canceled) {
			return err
		}
		return domain.Unavailable("opensearch", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return domain.Unavailable("opensearch", err)
	}
	if res.StatusCode >= 500 {
		return domain.Unavailable("opensearch", answerError(res.StatusCode, raw))
	}
	if res.StatusCode >= 300 {
		return answerError(res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// Ping tells whether OpenSearch answers.
func (ix *Index) Ping(ctx context.Context) error {
	return ix.do(ctx, http.MethodGet, "/_cluster/health", nil, nil)
}

type source struct {
	Token     string     `json:"token"`
	Chat      int64      `json:"chat"`
	Number    int64      `json:"number"`
	Body      string     `json:"body"`
	Author    string     `json:"author,omitempty"` // stored only (authorField), as type and attributes
	Type      string     `json:"type,omitempty"`
	Attrs     string     `json:"attributes,omitempty"`
	ReplyTo   int64      `json:"reply_to,omitempty"`
	Version   int64      `json:"version"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
	Deleted   bool       `json:"deleted,omitempty"`
}

func toSource(m domain.IndexedMessage) source {
	s := source{Token: string(m.Token), Chat: m.Chat, Number: m.Number, Body: m.Body, Author: m.Author, Type: m.Type, Attrs: m.Attributes, ReplyTo: m.ReplyTo, Version: m.Version, UpdatedAt: m.UpdatedAt, Deleted: m.Deleted}
	if !m.CreatedAt.IsZero() {
		s.CreatedAt = &m.CreatedAt
	}
	return s
}

// upsertScript applies a message to an existing document: a tombstone is
// final (a delete empties it, and nothing changes it after); a newer
// version replaces the body (and the attributes, when the edit gives them),
// an older one changes nothing; created_at, known only to the creation
// event, is filled in whenever it arrives, and so are the author, type and
// attributes (an edit that overtook its creation may not know them). An
// absent document is created from the upsert body as it is.
const upsertScript = `
if (ctx._source.deleted == true) { ctx.op = 'none'; return; }
if (params.deleted) {
  ctx._source.deleted = true; ctx._source.body = ''; ctx._source.attributes = null; ctx._source.version = params.version; ctx._source.updated_at = params.updated_at;
  return;
}
boolean changed = false;
if (params.version > ctx._source.version) {
  ctx._source.body = params.body; ctx._source.version = params.version; ctx._source.updated_at = params.updated_at; changed = true;
  if (params.new_attributes) { ctx._source.attributes = params.attributes; }
} else if (params.version == 0 && params.attributes != null && ctx._source.attributes == null) {
  ctx._source.attributes = params.attributes; changed = true;
}
if (params.created_at != null && ctx._source.created_at == null) { ctx._source.created_at = params.created_at; changed = true; }
if (params.author != null && ctx._source.author == null) { ctx._source.author = params.author; changed = true; }
if (params.type != null && ctx._source.type == null) { ctx._source.type = params.type; changed = true; }
if (params.reply_to != 0 && ctx._source.reply_to == null) { ctx._source.reply_to = params.reply_to; changed = true; }
if (!changed) { ctx.op = 'none'; }`

// IndexMessages upserts messages in bulk. A creation (version 0, the
// common case) is sent as a plain create, which costs OpenSearch no script;
// only when the document already exists (an edit overtook it, or a
// redelivery) is it sent again as the versioned scripted upsert, like edits.
func (ix *Index) IndexMessages(ctx context.Context, msgs []domain.IndexedMessage) error {
	var creates, upserts []domain.IndexedMessage
	for _, m := range msgs {
		if m.Version == 0 && !m.CreatedAt.IsZero() {
			creates = append(creates, m)
		} else {
			upserts = append(upserts, m)
		}
	}
	conflicts, err := ix.bulk(ctx, creates, true)
	if err != nil {
		return err
	}
	_, err = ix.bulk(ctx, append(upserts, conflicts...), false)
	return err
}

// bulk sends one bulk request of creates or of scripted upserts. With
// creates, it returns the messages whose document already existed.
func (ix *Index) bulk(ctx context.Context, msgs []domain.IndexedMessage, create bool) ([]domain.IndexedMessage, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, m := range msgs {
		src := toSource(m)
		meta := map[string]any{"_index": ix.alias, "_id": searchdoc.ID(m.Token, m.Chat, m.Number), "routing": searchdoc.Scope(m.Token, m.Chat)}
		if create {
			_ = enc.Encode(map[string]any{"create": meta})
			_ = enc.Encode(src)
			continue
		}
		meta["retry_on_conflict"] = 5
		_ = enc.Encode(map[string]any{"update": meta})
		_ = enc.Encode(map[string]any{
			"script": map[string]any{"source": upsertScript, "lang": "painless", "params": map[string]any{
				"version": src.Version, "body": src.Body, "updated_at": src.UpdatedAt, "created_at": src.CreatedAt, "deleted": src.Deleted,
				"author": nonEmpty(src.Author), "type": nonEmpty(src.Type), "attributes": nonEmpty(src.Attrs), "new_attributes": m.NewAttributes, "reply_to": src.ReplyTo,
			}},
			"upsert": src,
		})
	}
	// require_alias: a write before EnsureIndex must fail (and be retried),
	// not auto-create a concrete index under the alias's name.
	// filter_path: only what is read below. Every item keeps its status, so
	// items[i] is still msgs[i]; OpenSearch no longer writes (and the worker
	// no longer parses) an index, id, version, shards and seq_no per document.
	path := "/_bulk?filter_path=errors,items.*.status,items.*.error&require_alias=" + strconv.FormatBool(ix.requireAlias)
	if ix.refresh != "" {
		path += "&refresh=" + ix.refresh
	}
	var res struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Status int
			Error  json.RawMessage
		} `json:"items"`
	}
	if err := ix.do(ctx, http.MethodPost, path, buf.Bytes(), &res); err != nil {
		return nil, err
	}
	if !res.Errors {
		return nil, nil
	}
	var conflicts []domain.IndexedMessage
	for i, item := range res.Items {
		for _, r := range item {
			if r.Status < 300 {
				continue
			}
			if create && r.Status == http.StatusConflict {
				conflicts = append(conflicts, msgs[i])
				continue
			}
			failed := itemError(r.Status, r.Error)
			switch {
			case r.Status >= 500 || r.Status == http.StatusTooManyRequests:
				return nil, domain.Unavailable("opensearch", failed)
			case is(failed, http.StatusBadRequest, unparsable):
				// This document can never be indexed.
				return nil, fmt.Errorf("%w: %v", domain.ErrInvalidEvent, failed)
			default:
				return nil, failed
			}
		}
	}
	return conflicts, nil
}

// nonEmpty is s, or nil (null to a script) for "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
