package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxQueryLength bounds a search query, in characters after trimming.
const MaxQueryLength = 256

// MaxQueryTerms bounds the words of a query (terms, words of phrases and
// excluded terms together): each is a lookup in the index.
const MaxQueryTerms = 16

// SearchQuery is a validated search. Every hit contains every term (inside
// a word), every phrase (its words whole and adjacent, in order), and none
// of the excluded terms (inside a word).
type SearchQuery struct {
	Text    string
	Terms   []string   // lowercased runs of letters and digits, in order, without repeats
	Phrases [][]string // from "quoted words": the lowercased words, in order
	Exclude []string   // from -term: lowercased, without repeats
}

// Words are every word the query looks for (terms and the words of
// phrases), to mark in a highlight.
func (q SearchQuery) Words() []string {
	out := append([]string(nil), q.Terms...)
	for _, p := range q.Phrases {
		out = append(out, p...)
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isWordRune(r) })
}

// NewSearchQuery validates q: 1 to 256 characters after trimming. Terms
// split on anything but letters and digits, so "hello, wor" is two terms
// that must both match; "exact phrase" in double quotes must appear as it
// is (whole words, adjacent); -term excludes the messages that contain it.
// There must be something to find (a term or a phrase), a quote must be
// closed, and at most 16 words in all.
func NewSearchQuery(raw string) (SearchQuery, error) {
	q := strings.TrimSpace(raw)
	if q == "" {
		return SearchQuery{}, &MalformedError{Reason: "q is required"}
	}
	if !utf8.ValidString(q) {
		return SearchQuery{}, &MalformedError{Reason: "q must be valid UTF-8"}
	}
	if utf8.RuneCountInString(q) > MaxQueryLength {
		return SearchQuery{}, &MalformedError{Reason: "q must be at most 256 characters"}
	}
	out := SearchQuery{Text: q}
	seen, excluded := map[string]bool{}, map[string]bool{}
	count := 0
	rest := q
	for rest = strings.TrimLeftFunc(rest, unicode.IsSpace); rest != ""; rest = strings.TrimLeftFunc(rest, unicode.IsSpace) {
		switch rest[0] {
		case '"':
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return SearchQuery{}, &MalformedError{Reason: "q has a phrase without its closing quote"}
			}
			phrase := words(rest[1 : 1+end])
			if len(phrase) == 0 {
				return SearchQuery{}, &MalformedError{Reason: "q has an empty phrase"}
			}
			out.Phrases = append(out.Phrases, phrase)
			count += len(phrase)
			rest = rest[end+2:]
		default:
			n := strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
			if n < 0 {
				n = len(rest)
			}
			segment := rest[:n]
			rest = rest[n:]
			if segment == "-" && strings.HasPrefix(rest, `"`) {
				return SearchQuery{}, &MalformedError{Reason: "q excludes a phrase: exclude its words one by one (-word)"}
			}
			if strings.HasPrefix(segment, "-") && len(segment) > 1 {
				ws := words(segment[1:])
				if len(ws) == 0 {
					return SearchQuery{}, &MalformedError{Reason: "q excludes nothing: -term needs a letter or a digit"}
				}
				for _, w := range ws {
					if !excluded[w] {
						excluded[w] = true
						out.Exclude = append(out.Exclude, w)
						count++
					}
				}
				continue
			}
			for _, w := range words(segment) {
				if !seen[w] {
					seen[w] = true
					out.Terms = append(out.Terms, w)
					count++
				}
			}
		}
	}
	if len(out.Terms) == 0 && len(out.Phrases) == 0 {
		return SearchQuery{}, &MalformedError{Reason: "q must contain a letter or a digit to find"}
	}
	if count > MaxQueryTerms {
		return SearchQuery{}, &MalformedError{Reason: "q may have at most 16 words"}
	}
	return out, nil
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
	Token  Token
	Chat   int64
	Number int64
	Body   string
	// Author is stored, never searched; "" when the event carrying it (an
	// edit) does not know it, or the message has none.
	Author string
	// Type and Attributes are stored, never searched; an edit's are the
	// message's as known at the edit, Attributes replacing the stored ones
	// only when NewAttributes.
	Type          string
	Attributes    string
	NewAttributes bool
	ReplyTo       int64 // stored as Author is
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Deleted is a tombstone: the message leaves search for good (no edit,
	// older or newer, brings it back).
	Deleted bool
}
