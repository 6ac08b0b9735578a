package embedded_test

import (
	"path/filepath"
	"testing"

	"github.com/chatsvc/chat/adapters/embedded"
	"github.com/chatsvc/chat/ports"
	"github.com/chatsvc/chat/ports/porttest"
)

func TestSearchIndexContract(t *testing.T) {
	porttest.SearchIndexContract(t, func(t *testing.T) ports.SearchIndex {
		s, err := embedded.OpenIndex(filepath.Join(t.TempDir(), "search.bleve"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
