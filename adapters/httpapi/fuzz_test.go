package httpapi

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chatsvc/chat/domain"
)

// Request bodies: whatever arrives, the decoder answers a string or a typed
// client error (400/415/422), never panics, and what it accepts is exactly
// what the client wrote: valid UTF-8, no replacement character invented.
func FuzzParseAttribute(f *testing.F) {
	for _, seed := range []string{
		`{"name":"x"}`, `{"chat_application":{"name":"x"}}`, `null`, `[]`, `{"name":null}`, `{"name":"a\ud800b"}`,
		`{"name":"\ud83d\ude00"}`, `{"name":"\\ud800"}`, "{\"name\":\"\xff\"}", `{"name":1}`, `{"chat_application":"x"}`, `  `, `{"name":"é"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Add([]byte("chat_application%5Bname%5D=x"))
	f.Add([]byte("name=%FF"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseAttribute(body, mediaJSON, "chat_application", "name")
		if err == nil {
			checkAccepted(t, body, got)
		} else {
			checkRefused(t, body, err)
		}
		// The same bytes as a form body obey the same rules.
		got, err = parseAttribute(body, mediaForm, "chat_application", "name")
		if err != nil {
			checkRefused(t, body, err)
		} else if !utf8.ValidString(got) {
			t.Fatalf("form: accepted invalid UTF-8 %q from %q", got, body)
		}
	})
}

func checkRefused(t *testing.T, body []byte, err error) {
	t.Helper()
	var api *apiError
	var v *domain.ValidationError
	if !errors.As(err, &api) && !errors.As(err, &v) {
		t.Fatalf("untyped error %T %v for %q", err, err, body)
	}
}

func checkAccepted(t *testing.T, body []byte, got string) {
	t.Helper()
	if !utf8.ValidString(got) {
		t.Fatalf("accepted invalid UTF-8 %q from %q", got, body)
	}
	if strings.ContainsRune(got, utf8.RuneError) && !strings.ContainsRune(string(body), utf8.RuneError) && !strings.Contains(strings.ToLower(string(body)), `\ufffd`) {
		t.Fatalf("the decoder altered the text: %q from %q", got, body)
	}
	if got != "" {
		if _, err := json.Marshal(got); err != nil {
			t.Fatal(err)
		}
	}
}

// Cursors: a decoded cursor is never empty, and what encodeCursor makes
// decodes back to its key.
func FuzzDecodeCursor(f *testing.F) {
	for _, seed := range []string{encodeCursor("chat", "7"), encodeCursor("app", ""), "djE6YXBwOg", "not-a-cursor", "", "===="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		key, err := decodeCursor("chat", raw)
		if err != nil {
			var api *apiError
			if !errors.As(err, &api) || api.status != 400 {
				t.Fatalf("cursor error %v is not a 400", err)
			}
			return
		}
		if key == "" {
			t.Fatalf("empty cursor %q accepted", raw)
		}
		if back, err := decodeCursor("chat", encodeCursor("chat", key)); err != nil || back != key {
			t.Fatalf("round trip of %q: %q, %v", key, back, err)
		}
	})
}

// Search queries: bounded, every term a non-empty run of letters or digits.
func FuzzSearchQuery(f *testing.F) {
	for _, seed := range []string{"hello wor", "你好，世界", strings.Repeat("a ", 200), "", "!!!", "Café", `"a b" -c`, `-"x"`, `"`, `-`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := domain.NewSearchQuery(raw)
		if err != nil {
			var bad *domain.MalformedError
			if !errors.As(err, &bad) {
				t.Fatalf("query error %T %v", err, err)
			}
			return
		}
		if len(q.Terms)+len(q.Phrases) == 0 || len(q.Words())+len(q.Exclude) > domain.MaxQueryTerms {
			t.Fatalf("%d terms, %d phrases, %d exclusions from %q", len(q.Terms), len(q.Phrases), len(q.Exclude), raw)
		}
		for _, term := range append(q.Words(), q.Exclude...) {
			if term == "" || !utf8.ValidString(term) {
				t.Fatalf("term %q from %q", term, raw)
			}
		}
	})
}
