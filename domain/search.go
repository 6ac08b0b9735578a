package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxQueryLength bounds a search query, in characters after trimming.
const MaxQueryLength = 256

// MaxQueryTerms bounds the distinct terms of a query: each is one lookup
// in the index, and every one must match.
const MaxQueryTerms = 16

// SearchQuery is a validated search: the terms every hit must contain.
type SearchQuery struct {
	Text  string
	Terms []string // lowercased runs of letters and digits, in order, without repeats
}

// NewSearchQuery validates q: 1 to 256 characters after trimming, with at
// least one letter or digit. Terms split on anything else, so "hello, wor"
// is two terms that must both match.
func NewSearchQuery(raw string) (SearchQuery, error) {
	q := strings.TrimSpace(raw)
	if q == "" {
		return SearchQuery{}, &BadRequestError{Reason: "q is required"}
	}
	if !utf8.ValidString(q) {
		return SearchQuery{}, &BadRequestError{Reason: "q must be valid UTF-8"}
	}
	if utf8.RuneCountInString(q) > MaxQueryLength {
		return SearchQuery{}, &BadRequestError{Reason: "q must be at most 256 characters"}
	}
	seen := map[string]bool{}
	var terms []string
	for _, t := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return SearchQuery{}, &BadRequestError{Reason: "q must contain a letter or a digit"}
	}
	if len(terms) > MaxQueryTerms {
		return SearchQuery{}, &BadRequestError{Reason: "q may have at most 16 distinct terms"}
	}
	return SearchQuery{Text: q, Terms: terms}, nil
}

// SearchCursor is the position after the last hit of a page: results are
// ordered by relevance, then by number.
type SearchCursor struct {
	Score  float64
	Number int64
}

// Hit is a message that matched, with its matched parts marked in Highlight.
type Hit struct {
	Message   Message
	Highlight string
	Score     float64
}

// IndexedMessage is what the search index holds of a message. CreatedAt is
// zero when the event carrying it (an edit) does not know it.
type IndexedMessage struct {
	Token     Token
	Chat      int64
	Number    int64
	Body      string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}
