// Package searchdoc is what the search indexes (OpenSearch, Bleve) share
// about their documents: a message's identity in an index, the scope that
// keeps a chat's documents together, the grams bodies are indexed by and
// the rule a term is looked up by in them, and the copy from the system of
// record that builds and repairs an index.
// (How text is folded, matched and highlighted is textfold's.)
package searchdoc

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Gram is the length of the grams both indexes keep of every word (their
// trigram dictionary); the words shorter than Gram are kept whole besides
// (their tiny-word dictionary). Expand says how a term is looked up in them.
const Gram = 3

// Dictionary is one of the two an index keeps of a body's words.
type Dictionary int

const (
	Grams     Dictionary = iota // every Gram-character gram of every word
	TinyWords                   // the words shorter than Gram, whole
)

// LookupKind is how a Lookup matches the tokens of its dictionary.
type LookupKind int

const (
	// AllGrams: every gram of the term, in the term's order, so that they
	// spell it inside one word (Value is the term; GramsOf gives the grams).
	AllGrams LookupKind = iota
	Prefix              // a token that starts with Value
	Wildcard            // a token matching the wildcard pattern Value (escaped already)
	Exact               // a token equal to Value
)

// Lookup is one way a message may hold a term.
type Lookup struct {
	Kind  LookupKind
	In    Dictionary
	Value string
}

// Expand is the rule both indexes find a folded term by, inside a word: a
// term of Gram characters or more by all its grams; a term of Gram-1 by a
// gram it starts or ends, or a tiny word that is the term; a shorter one
// by a gram or a tiny word that holds it. A message may hold the term when
// any of the lookups matches (so short terms expand over the two small
// dictionaries, never over every word).
func Expand(folded string) []Lookup {
	n := utf8.RuneCountInString(folded)
	switch {
	case n >= Gram:
		return []Lookup{{Kind: AllGrams, In: Grams, Value: folded}}
	case n == Gram-1:
		return []Lookup{
			{Kind: Prefix, In: Grams, Value: folded},
			{Kind: Wildcard, In: Grams, Value: "?" + EscapeWildcard(folded)},
			{Kind: Exact, In: TinyWords, Value: folded},
		}
	default:
		inside := "*" + EscapeWildcard(folded) + "*"
		return []Lookup{{Kind: Wildcard, In: Grams, Value: inside}, {Kind: Wildcard, In: TinyWords, Value: inside}}
	}
}

// GramsOf is the term's distinct grams, in order of first appearance.
func GramsOf(term string) []string {
	runes := []rune(term)
	seen := map[string]bool{}
	var grams []string
	for i := 0; i+Gram <= len(runes); i++ {
		if g := string(runes[i : i+Gram]); !seen[g] {
			seen[g] = true
			grams = append(grams, g)
		}
	}
	return grams
}

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
