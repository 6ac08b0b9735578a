package bleve_test

import (
	"context"
	"path/filepath"
	"testing"

	blevelib "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"

	"github.com/chatsvc/chat/adapters/bleve"
	"github.com/chatsvc/chat/adapters/searchdoc"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func TestSearchIndexContract(t *testing.T) {
	porttest.SearchIndexContract(t, func(t *testing.T) ports.SearchIndex {
		s := bleve.NewIndex(filepath.Join(t.TempDir(), "search.bleve"))
		if err := s.Open(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// An index of the layout before December 2026 (numbers indexed, 16 terms a
// document) is dropped and made anew when opened: it is derived data, which
// the embedded profile repairs from the database at every start.
func TestAnIndexOfTheEarlierLayoutIsMadeAnew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "search.bleve")
	im := blevelib.NewIndexMapping()
	must(t, im.AddCustomAnalyzer("tri", map[string]any{"type": custom.Name, "tokenizer": unicode.Name}))
	doc := blevelib.NewDocumentMapping()
	for _, f := range []string{"scope", "body_tri"} {
		text := blevelib.NewTextFieldMapping()
		text.Analyzer = keyword.Name
		doc.AddFieldMappingsAt(f, text)
	}
	body := blevelib.NewTextFieldMapping()
	body.Index = false
	doc.AddFieldMappingsAt("body", body)
	doc.AddFieldMappingsAt("number", blevelib.NewNumericFieldMapping()) // indexed, as it was
	im.DefaultMapping = doc
	old, err := blevelib.New(path, im)
	must(t, err)
	tok := domain.NewToken()
	must(t, old.Index("old", map[string]any{"scope": searchdoc.Scope(tok, 1), "body_tri": "hel", "body": "hello", "number": 1.0}))
	must(t, old.Close())

	s := bleve.NewIndex(path)
	must(t, s.Open())
	defer s.Close()
	q, _ := domain.NewSearchQuery("hel")
	p, err := s.Search(context.Background(), tok, 1, q, domain.PageRequest[domain.SearchCursor]{Limit: 10})
	must(t, err)
	if len(p.Items) != 0 {
		t.Fatalf("the earlier index was kept: %+v", p.Items)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
