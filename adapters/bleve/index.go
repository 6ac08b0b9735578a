// Package bleve is the search index in process, on Bleve, for the embedded
// profile: ports.SearchIndex with the semantics of the OpenSearch index
// (searchdoc's documents and term rule, textfold's folding and matching).
package bleve

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/token/length"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/ngram"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/regexp"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/chatsvc/chat/adapters/searchdoc"
	"github.com/chatsvc/chat/adapters/textfold"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// The index has the semantics of the OpenSearch one: words are runs of
// letters and digits (so Chinese or Japanese text, written without spaces,
// is matched inside its runs), folded (lowercase, no accents). body_tri
// holds every 3-character gram of every word and body_tiny the words of one
// or two characters. A term of 3 characters or more must have all its
// trigrams in the message (term lookups), and the candidates are then
// checked against the body (the term inside one word), since Bleve keeps no
// order among the grams of a word; shorter terms expand over the trigram
// and tiny-word dictionaries only (searchdoc.Expand). Hits are ordered by
// relevance, then number.
const (
	// maxHits bounds one search: the embedded profile serves small
	// deployments, and pages are cut from this sorted window.
	maxHits = 10000
)

// Index implements ports.SearchIndex on Bleve.
type Index struct {
	path  string
	mu    sync.Mutex // versioned upserts read then write
	index bleve.Index
}

type bleveDoc struct {
	Scope     string  `json:"scope"`
	Number    float64 `json:"number"`
	Version   float64 `json:"version"`
	Body      string  `json:"body"`
	Author    string  `json:"author"`
	Type      string  `json:"type"`
	Attrs     string  `json:"attributes"` // as sent; stored, never searched
	ReplyTo   float64 `json:"reply_to"`
	BodyTri   string  `json:"body_tri"`
	BodyTiny  string  `json:"body_tiny"`
	Deleted   string  `json:"deleted"` // "true" on a tombstone
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

func indexMapping() (mapping.IndexMapping, error) {
	im := bleve.NewIndexMapping()
	if err := im.AddCustomTokenFilter("tri", map[string]any{"type": ngram.Name, "min": float64(searchdoc.Gram), "max": float64(searchdoc.Gram)}); err != nil {
		return nil, err
	}
	if err := im.AddCustomTokenFilter("tiny", map[string]any{"type": length.Name, "min": 1.0, "max": 2.0}); err != nil {
		return nil, err
	}
	if err := im.AddCustomTokenizer("words", map[string]any{"type": regexp.Name, "regexp": `[\p{L}\p{N}]+`}); err != nil {
		return nil, err
	}
	for name, filters := range map[string][]string{"words": {lowercase.Name}, "tri": {lowercase.Name, "tri"}, "tiny": {lowercase.Name, "tiny"}} {
		if err := im.AddCustomAnalyzer(name, map[string]any{
			"type": custom.Name, "char_filters": []string{asciifolding.Name}, "tokenizer": "words", "token_filters": filters,
		}); err != nil {
			return nil, err
		}
	}
	doc := bleve.NewDocumentMapping()
	text := func(analyzer string, store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = analyzer, store, false, false, false
		return f
	}
	// stored fields are only read back: the body is searched through body_tri and body_tiny.
	stored := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Index, f.Store, f.IncludeInAll, f.DocValues = false, true, false, false
		return f
	}
	// Numbers are only read back (hits are ordered here, documents found by
	// ID): indexed, each would be 16 terms of a document's ~60.
	num := bleve.NewNumericFieldMapping()
	num.IncludeInAll, num.Store, num.Index, num.DocValues = false, true, false, false
	doc.AddFieldMappingsAt("scope", text(keyword.Name, true))
	doc.AddFieldMappingsAt("number", num)
	doc.AddFieldMappingsAt("version", num)
	doc.AddFieldMappingsAt("body", stored())
	doc.AddFieldMappingsAt("author", stored())
	doc.AddFieldMappingsAt("type", stored())
	doc.AddFieldMappingsAt("attributes", stored())
	doc.AddFieldMappingsAt("reply_to", num)
	doc.AddFieldMappingsAt("body_tri", text("tri", false))
	doc.AddFieldMappingsAt("body_tiny", text("tiny", false))
	doc.AddFieldMappingsAt("deleted", stored())
	doc.AddFieldMappingsAt("created_at", stored())
	doc.AddFieldMappingsAt("updated_at", stored())
	im.DefaultMapping = doc
	im.DefaultAnalyzer = "words"
	// BM25, as OpenSearch scores: term frequency saturates and long bodies are
	// not punished as hard as under tf-idf.
	im.ScoringModel = "bm25"
	return im, nil
}

// NewIndex is the Bleve index at path, not opened yet: Open opens it.
func NewIndex(path string) *Index { return &Index{path: path} }

// Open opens (or creates) the index. An index made with an older analysis
// is dropped and made anew: it is derived data, repaired from the database
// at every start.
func (s *Index) Open() error {
	path := s.path
	ix, err := bleve.Open(path)
	if err == nil && (ix.Mapping().AnalyzerNamed("tri") == nil || indexed(ix.Mapping(), "body") || indexed(ix.Mapping(), "number") || !mapped(ix.Mapping(), "reply_to")) {
		_ = ix.Close()
		if err = os.RemoveAll(path); err != nil {
			return fmt.Errorf("search index %s: %w", path, err)
		}
		err = bleve.ErrorIndexPathDoesNotExist
	}
	if err == bleve.ErrorIndexPathDoesNotExist {
		var m mapping.IndexMapping
		if m, err = indexMapping(); err != nil {
			return err
		}
		ix, err = bleve.New(path, m)
	}
	if err != nil {
		return fmt.Errorf("search index %s: %w", path, err)
	}
	s.index = ix
	return nil
}

// Close closes the index, if it was opened.
func (s *Index) Close() error {
	if s.index == nil {
		return nil
	}
	return s.index.Close()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// IndexMessages upserts messages the way the OpenSearch index does: a newer
// version replaces the body, an older one changes nothing, and created_at
// (known only to the creation) is filled in whenever it arrives.
func (s *Index) IndexMessages(_ context.Context, msgs []domain.IndexedMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	batch := s.index.NewBatch()
	pending := map[string]bleveDoc{}
	for _, m := range msgs {
		id := searchdoc.ID(m.Token, m.Chat, m.Number)
		doc := bleveDoc{Scope: searchdoc.Scope(m.Token, m.Chat), Number: float64(m.Number), Version: float64(m.Version),
			Body: m.Body, Author: m.Author, Type: m.Type, Attrs: m.Attributes, ReplyTo: float64(m.ReplyTo), BodyTri: m.Body, BodyTiny: m.Body, CreatedAt: fmtTime(m.CreatedAt), UpdatedAt: fmtTime(m.UpdatedAt)}
		if m.Deleted {
			doc.Body, doc.BodyTri, doc.BodyTiny, doc.Attrs, doc.Deleted = "", "", "", "", "true"
		}
		old, exists := pending[id]
		if !exists {
			var err error
			if old, exists, err = s.document(id); err != nil {
				return err
			}
		}
		if exists {
			if old.Deleted == "true" {
				continue // a tombstone is final
			}
			next, changed := old, false
			if doc.Deleted == "true" {
				next, changed = doc, true
				next.CreatedAt = old.CreatedAt
			} else if doc.Version > old.Version {
				next.Body, next.BodyTri, next.BodyTiny, next.Version, next.UpdatedAt = doc.Body, doc.BodyTri, doc.BodyTiny, doc.Version, doc.UpdatedAt
				if m.NewAttributes {
					next.Attrs = doc.Attrs
				}
				changed = true
			} else if m.Version == 0 && next.Attrs == "" && doc.Attrs != "" {
				next.Attrs, changed = doc.Attrs, true // the creation's, after an edit that overtook it gave none
			}
			if next.CreatedAt == "" && doc.CreatedAt != "" {
				next.CreatedAt, changed = doc.CreatedAt, true
			}
			if next.Author == "" && doc.Author != "" && next.Deleted != "true" {
				next.Author, changed = doc.Author, true
			}
			if next.Type == "" && doc.Type != "" && next.Deleted != "true" {
				next.Type, changed = doc.Type, true
			}
			if next.ReplyTo == 0 && doc.ReplyTo != 0 && next.Deleted != "true" {
				next.ReplyTo, changed = doc.ReplyTo, true
			}
			if !changed {
				continue
			}
			doc = next
		}
		pending[id] = doc
		if err := batch.Index(id, doc); err != nil {
			return domain.Unavailable("search index", err)
		}
	}
	if err := s.index.Batch(batch); err != nil {
		return domain.Unavailable("search index", err)
	}
	return nil
}

// document reads a stored document back, if there is one.
func (s *Index) document(id string) (bleveDoc, bool, error) {
	req := bleve.NewSearchRequest(query.NewDocIDQuery([]string{id}))
	req.Fields = []string{"*"}
	res, err := s.index.Search(req)
	if err != nil {
		return bleveDoc{}, false, domain.Unavailable("search index", err)
	}
	if len(res.Hits) == 0 {
		return bleveDoc{}, false, nil
	}
	f := res.Hits[0].Fields
	d := bleveDoc{}
	d.Scope, _ = f["scope"].(string)
	d.Number, _ = f["number"].(float64)
	d.Version, _ = f["version"].(float64)
	d.Body, _ = f["body"].(string)
	d.Author, _ = f["author"].(string)
	d.Type, _ = f["type"].(string)
	d.Attrs, _ = f["attributes"].(string)
	d.ReplyTo, _ = f["reply_to"].(float64)
	d.BodyTri, d.BodyTiny = d.Body, d.Body
	d.CreatedAt, _ = f["created_at"].(string)
	d.UpdatedAt, _ = f["updated_at"].(string)
	d.Deleted, _ = f["deleted"].(string)
	return d, true, nil
}

// Search finds the chat's messages containing every term.
func (s *Index) Search(ctx context.Context, token domain.Token, chat int64, q domain.SearchQuery, page domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], error) {
	scopeQ := query.NewTermQuery(searchdoc.Scope(token, chat))
	scopeQ.SetField("scope")
	clauses := []query.Query{scopeQ}
	// Candidates have every term and every word of the phrases; the body
	// then decides (phrases whole and in order, excluded terms absent).
	for _, term := range q.Words() {
		clauses = append(clauses, termQuery(textfold.Fold(term)))
	}
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(clauses), maxHits, 0, false)
	req.Fields = []string{"number", "body", "author", "type", "attributes", "reply_to", "created_at", "updated_at", "deleted"}
	res, err := s.index.SearchInContext(ctx, req)
	if err != nil {
		return domain.Page[domain.Hit]{}, domain.Unavailable("search index", err)
	}
	hits := make([]domain.Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		num, _ := h.Fields["number"].(float64)
		body, _ := h.Fields["body"].(string)
		if d, _ := h.Fields["deleted"].(string); d == "true" {
			continue
		}
		if !textfold.Matches(body, q.Terms, q.Phrases, q.Exclude) {
			continue // its trigrams are there, but not in order inside one word; or a phrase or an exclusion says no
		}
		author, _ := h.Fields["author"].(string)
		typ, _ := h.Fields["type"].(string)
		attrs, _ := h.Fields["attributes"].(string)
		replyTo, _ := h.Fields["reply_to"].(float64)
		m := domain.Message{Number: int64(num), Body: domain.StoredBody(body), Author: author, Type: domain.TypeOf(typ), Attributes: attrs,
			ReplyTo: int64(replyTo)}
		if c, _ := h.Fields["created_at"].(string); c != "" {
			m.CreatedAt, _ = time.Parse(time.RFC3339Nano, c)
		}
		if u, _ := h.Fields["updated_at"].(string); u != "" {
			m.UpdatedAt, _ = time.Parse(time.RFC3339Nano, u)
		}
		hits = append(hits, domain.Hit{Message: m, Score: h.Score, Highlight: textfold.MarkWords(body, q.Words())})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Message.Number < hits[j].Message.Number
	})
	if page.After != (domain.SearchCursor{}) {
		a := page.After
		k := sort.Search(len(hits), func(i int) bool {
			h := hits[i]
			return h.Score < a.Score || (h.Score == a.Score && h.Message.Number > a.Number)
		})
		hits = hits[k:]
	}
	if len(hits) > page.Limit+1 {
		hits = hits[:page.Limit+1]
	}
	return domain.TrimPage(hits, page.Limit), nil
}

// termQuery finds the messages that may contain the folded term inside a
// word (searchdoc.Expand's rule; Search checks the candidates).
func termQuery(t string) query.Query {
	field := map[searchdoc.Dictionary]string{searchdoc.Grams: "body_tri", searchdoc.TinyWords: "body_tiny"}
	var alts []query.Query
	for _, l := range searchdoc.Expand(t) {
		var q interface {
			query.Query
			SetField(string)
		}
		switch l.Kind {
		case searchdoc.AllGrams:
			// Bleve keeps no positions here: every gram, and the body decides the order.
			var grams []query.Query
			for _, g := range searchdoc.GramsOf(l.Value) {
				tq := query.NewTermQuery(g)
				tq.SetField(field[l.In])
				grams = append(grams, tq)
			}
			alts = append(alts, query.NewConjunctionQuery(grams))
			continue
		case searchdoc.Prefix:
			q = query.NewPrefixQuery(l.Value)
		case searchdoc.Wildcard:
			q = query.NewWildcardQuery(l.Value)
		case searchdoc.Exact:
			q = query.NewTermQuery(l.Value)
		}
		q.SetField(field[l.In])
		alts = append(alts, q)
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return query.NewDisjunctionQuery(alts)
}

// indexed tells an index of an earlier layout, which indexed the field
// (body, analyzed too; number, 16 terms a document, until December 2026).
func indexed(m mapping.IndexMapping, field string) bool {
	f := fieldOf(m, field)
	return f != nil && len(f.Fields) > 0 && f.Fields[0].Index
}

// mapped says whether the mapping names field (an index made before it
// existed does not: author).
func mapped(m mapping.IndexMapping, field string) bool { return fieldOf(m, field) != nil }

func fieldOf(m mapping.IndexMapping, field string) *mapping.DocumentMapping {
	im, ok := m.(*mapping.IndexMappingImpl)
	if !ok || im.DefaultMapping == nil {
		return nil
	}
	return im.DefaultMapping.Properties[field]
}

// Repair re-indexes every message of the database into the index.
func Repair(ctx context.Context, s *Index, scan ports.MessageScanner) (int, error) {
	return searchdoc.Copy(ctx, scan, s, 500, time.Time{}, 0, nil)
}
