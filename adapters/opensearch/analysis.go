package opensearch

import (
	"unicode/utf8"

	"github.com/chatsvc/chat/adapters/searchdoc"
	"github.com/chatsvc/chat/adapters/textfold"
)

// Analysis: how a body is indexed so that a query term matches inside a
// word ("ello" finds "Hello", "你好" finds "你好世界"), lowercased and
// accent-folded. Words are runs of letters and digits. An index records
// its analysis in its _meta, and searches are written for the index they
// read, so an index made by an older version keeps answering (correctly)
// until it is rebuilt.
//
// trigrams (the default): body.tri holds every 3-character gram of each
// word, in order, so a term of 3 characters or more is a phrase of its
// trigrams: consecutive positions, so the grams spell the term inside one
// word. About four tokens a word.
//
// grams (the analysis until December 2026): body.grams holds every 3- to
// 20-character gram of each word (a term of that length is one term
// lookup; longer ones a wildcard) and body.short every 1- and 2-character
// one. About three times the tokens of trigrams, so three times the
// indexing work, for searches that are not faster (see the README).
//
// Terms of one or two characters, in trigrams, expand over small
// dictionaries only: the trigrams (prefix "xy*" or "?xy"; "*x*") and
// body.tiny, which holds the words of one or two characters. No query
// expands over the words of every tenant on the shard.
const (
	analysisTrigrams = "trigrams"
	analysisGrams    = "grams"
	// analysisLegacy: an index made before analyses recorded themselves
	// (3-20 grams, short terms by wildcard over the words).
	analysisLegacy = "legacy"

	minGram = 3
	maxGram = 20
)

func settings(shards, replicas int, analysis string) map[string]any {
	tokenizers := map[string]any{
		"words": map[string]any{"type": "pattern", "pattern": `[^\p{L}\p{N}]+`},
	}
	fold := []string{"lowercase", "asciifolding"}
	analyzers := map[string]any{
		"body_words": map[string]any{"type": "custom", "tokenizer": "words", "filter": fold},
	}
	fields := map[string]any{}
	index := map[string]any{"number_of_shards": shards, "number_of_replicas": replicas, "refresh_interval": "1s"}
	filters := map[string]any{}
	switch analysis {
	case analysisGrams:
		index["max_ngram_diff"] = maxGram - minGram
		tokenizers["grams"] = map[string]any{"type": "ngram", "min_gram": minGram, "max_gram": maxGram, "token_chars": []string{"letter", "digit"}}
		tokenizers["short"] = map[string]any{"type": "ngram", "min_gram": 1, "max_gram": minGram - 1, "token_chars": []string{"letter", "digit"}}
		analyzers["body_grams"] = map[string]any{"type": "custom", "tokenizer": "grams", "filter": fold}
		analyzers["body_short"] = map[string]any{"type": "custom", "tokenizer": "short", "filter": fold}
		fields["grams"] = map[string]any{"type": "text", "analyzer": "body_grams", "search_analyzer": "body_words"}
		fields["short"] = map[string]any{"type": "text", "analyzer": "body_short", "search_analyzer": "body_words", "index_options": "freqs", "norms": false}
	default: // trigrams
		tokenizers["tri"] = map[string]any{"type": "ngram", "min_gram": searchdoc.Gram, "max_gram": searchdoc.Gram, "token_chars": []string{"letter", "digit"}}
		analyzers["body_tri"] = map[string]any{"type": "custom", "tokenizer": "tri", "filter": fold}
		filters["tiny"] = map[string]any{"type": "length", "max": 2}
		analyzers["body_tiny"] = map[string]any{"type": "custom", "tokenizer": "words", "filter": append(append([]string{}, fold...), "tiny")}
		fields["tri"] = map[string]any{"type": "text", "analyzer": "body_tri"}
		fields["tiny"] = map[string]any{"type": "text", "analyzer": "body_tiny", "index_options": "freqs", "norms": false}
	}
	return map[string]any{
		"settings": map[string]any{
			"index":    index,
			"analysis": map[string]any{"tokenizer": tokenizers, "analyzer": analyzers, "filter": filters},
		},
		"mappings": map[string]any{
			"dynamic":  "strict",
			"_meta":    map[string]any{"analysis": analysis},
			"_routing": map[string]any{"required": true},
			"properties": map[string]any{
				"token":      map[string]any{"type": "keyword"},
				"chat":       map[string]any{"type": "long"},
				"number":     map[string]any{"type": "long"},
				"version":    map[string]any{"type": "long"},
				"deleted":    map[string]any{"type": "boolean"},
				"body":       map[string]any{"type": "text", "analyzer": "body_words", "fields": fields},
				"author":     authorField,
				"type":       authorField,
				"attributes": authorField,
				"reply_to":   replyToField,
				"created_at": map[string]any{"type": "date"},
				"updated_at": map[string]any{"type": "date"},
			},
		},
	}
}

// authorField maps a message's author, type and attributes (a string: the
// JSON object as sent): kept in the source, returned with hits, never
// searched (so neither indexed nor in doc values).
var authorField = map[string]any{"type": "keyword", "index": false, "doc_values": false}

// replyToField maps the message a message answers: stored, never searched.
var replyToField = map[string]any{"type": "long", "index": false, "doc_values": false}

func wildcard(field, pattern string) map[string]any {
	return map[string]any{"wildcard": map[string]any{field: map[string]any{"value": pattern}}}
}

func anyOf(clauses ...map[string]any) map[string]any {
	return map[string]any{"bool": map[string]any{"should": clauses, "minimum_should_match": 1}}
}

// termClause matches one term anywhere inside a word of the body, for an
// index of the given analysis.
func termClause(analysis, term string) map[string]any {
	folded := textfold.Fold(term)
	n := utf8.RuneCountInString(folded)
	switch analysis {
	case analysisTrigrams:
		return trigramClause(term, folded)
	case analysisGrams:
		switch {
		case n >= minGram && n <= maxGram:
			return map[string]any{"match": map[string]any{"body.grams": map[string]any{"query": term}}}
		case n < minGram:
			return map[string]any{"match": map[string]any{"body.short": map[string]any{"query": term}}}
		}
	case analysisLegacy:
		if n >= minGram && n <= maxGram {
			return map[string]any{"match": map[string]any{"body.grams": map[string]any{"query": term}}}
		}
	}
	return wildcard("body", "*"+searchdoc.EscapeWildcard(folded)+"*")
}

// trigramClause is searchdoc.Expand's rule for an index of the trigrams
// analysis. body.tri keeps positions, so all the grams of a term are a
// phrase (spelling the term inside one word); OpenSearch folds the term
// itself, as it folded the body.
func trigramClause(term, folded string) map[string]any {
	field := map[searchdoc.Dictionary]string{searchdoc.Grams: "body.tri", searchdoc.TinyWords: "body.tiny"}
	var alts []map[string]any
	for _, l := range searchdoc.Expand(folded) {
		f := field[l.In]
		switch l.Kind {
		case searchdoc.AllGrams:
			alts = append(alts, map[string]any{"match_phrase": map[string]any{f: map[string]any{"query": term}}})
		case searchdoc.Prefix:
			alts = append(alts, map[string]any{"prefix": map[string]any{f: map[string]any{"value": l.Value}}})
		case searchdoc.Wildcard:
			alts = append(alts, wildcard(f, l.Value))
		case searchdoc.Exact:
			alts = append(alts, map[string]any{"term": map[string]any{f: l.Value}})
		}
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return anyOf(alts...)
}
