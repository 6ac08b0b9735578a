package bleve_test

import (
	"path/filepath"
	"testing"

	"github.com/chatsvc/chat/adapters/bleve"
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
