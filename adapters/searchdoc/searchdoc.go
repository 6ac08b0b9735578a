// Package searchdoc is what the search indexes (OpenSearch, Bleve) share
// about their documents: a message's identity in an index, the scope that
// keeps a chat's documents together, the grams bodies are indexed by, and
// the copy from the system of record that builds and repairs an index.
// (How text is folded, matched and highlighted is textfold's.)
package searchdoc

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Gram is the length of the grams both indexes keep of every word: a term
// of Gram characters or more is looked up by its grams; shorter terms
// expand over the grams and the short words (never over every word).
const Gram = 3

// EscapeWildcard escapes a term for a wildcard pattern (the same syntax in
// OpenSearch and Bleve).
func EscapeWildcard(s string) string { return wildcardEscaper.Replace(s) }

var wildcardEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`)

// Scope names a chat in an index: the filter of its searches, and
// OpenSearch's routing, which keeps the chat's documents on one shard.
func Scope(t domain.Token, chat int64) string { return string(t) + ":" + strconv.FormatInt(chat, 10) }

// ID is a message's document identity, derived from its public scope, so
// that indexing the same message again replaces it; clients never see it.
func ID(t domain.Token, chat, number int64) string {
	return Scope(t, chat) + ":" + strconv.FormatInt(number, 10)
}

// Copy indexes every message the scanner gives, changed since since (all
// for the zero time), in batches of batch, starting after the scan position
// from (0: the start), so that an interrupted copy resumes where it
// stopped; onBatch (if not nil) hears each batch and the position after it.
// Indexing is versioned, so copying what is already right changes nothing.
func Copy(ctx context.Context, scan ports.MessageScanner, into ports.SearchIndex, batch int, since time.Time, from int64,
	onBatch func(n int, next int64)) (int, error) {
	total := 0
	after := from
	for {
		msgs, next, err := scan.ScanMessages(ctx, after, batch, since)
		if err != nil || len(msgs) == 0 {
			return total, err
		}
		if err := into.IndexMessages(ctx, msgs); err != nil {
			return total, err
		}
		total += len(msgs)
		after = next
		if onBatch != nil {
			onBatch(len(msgs), next)
		}
	}
}
