// Package textfold folds text the way the search indexes compare it:
// lowercased, accents removed. The OpenSearch and the embedded index use it
// for what their engines do not analyze (wildcard terms, highlights).
package textfold

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// folders are reusable NFD, strip marks, NFC chains (a chain has state, so
// one per concurrent caller).
var folders = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// Fold lowercases s and strips its combining marks ("Café" -> "cafe").
func Fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s) // nothing to decompose: the common case, and cheap
	}
	t := folders.Get().(transform.Transformer)
	defer folders.Put(t)
	t.Reset()
	out, _, err := transform.String(t, strings.ToLower(s))
	if err != nil {
		return strings.ToLower(s)
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// MarkWords wraps in <em>…</em> every word of body (a run of letters and
// digits) whose folded form contains one of the folded terms.
func MarkWords(body string, terms []string) string {
	folded := make([]string, len(terms))
	for i, t := range terms {
		folded[i] = Fold(t)
	}
	var b strings.Builder
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	start := -1
	flush := func(end int) {
		w := body[start:end]
		fw := Fold(w)
		for _, t := range folded {
			if strings.Contains(fw, t) {
				b.WriteString("<em>" + w + "</em>")
				return
			}
		}
		b.WriteString(w)
	}
	for i, r := range body {
		switch {
		case isWord(r) && start < 0:
			start = i
		case !isWord(r):
			if start >= 0 {
				flush(i)
				start = -1
			}
			b.WriteRune(r)
		}
	}
	if start >= 0 {
		flush(len(body))
	}
	return b.String()
}

// Matches says whether body is a hit of a search: every term inside some
// word, every phrase's words whole and adjacent, in order, and no excluded
// term inside any word (API.md's semantics, all three indexes check it or
// query it).
func Matches(body string, terms []string, phrases [][]string, exclude []string) bool {
	words := strings.FieldsFunc(Fold(body), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	inWord := func(t string) bool {
		ft := Fold(t)
		for _, w := range words {
			if strings.Contains(w, ft) {
				return true
			}
		}
		return false
	}
	for _, t := range terms {
		if !inWord(t) {
			return false
		}
	}
	for _, t := range exclude {
		if inWord(t) {
			return false
		}
	}
	for _, p := range phrases {
		if !containsRun(words, p) {
			return false
		}
	}
	return true
}

func containsRun(words, phrase []string) bool {
	folded := make([]string, len(phrase))
	for i, w := range phrase {
		folded[i] = Fold(w)
	}
	for i := 0; i+len(folded) <= len(words); i++ {
		if slices.Equal(words[i:i+len(folded)], folded) {
			return true
		}
	}
	return false
}
