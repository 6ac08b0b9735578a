package httpapi

import (
	"encoding/json"
	"errors"
	"regexp"
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

// Cursors: whatever arrives is a position or a 400; a number cursor
// accepted is the one the server writes for that position; and every
// cursor of the grammar openapi.json states is accepted.
func FuzzDecodeCursor(f *testing.F) {
	for _, seed := range []string{"7", "12bd", "3d", "0", "07", "999999999999999999b", "1e", "0.5_3", "1.2e-05_9", "abcdefghijklmnopqrstuvwx", "not-a-cursor", ""} {
		f.Add(seed)
	}
	patterns := cursorPatterns(f)
	f.Fuzz(func(t *testing.T, raw string) {
		pos, err := decodeNumberCursor(raw)
		if err != nil {
			var api *apiError
			if !errors.As(err, &api) || api.status != 400 {
				t.Fatalf("cursor error %v is not a 400", err)
			}
		} else if back := encodeNumberCursor(pos); back != raw {
			t.Fatalf("cursor %q reads as %+v, which is written %q", raw, pos, back)
		}
		if patterns["cursor"].MatchString(raw) && err != nil {
			t.Fatalf("number cursor %q of the documented form refused: %v", raw, err)
		}
		if _, err := decodeSearchCursor(raw); err != nil && patterns["searchCursor"].MatchString(raw) {
			t.Fatalf("search cursor %q of the documented form refused: %v", raw, err)
		}
		if _, err := decodeApplicationCursor(raw); err != nil && patterns["applicationCursor"].MatchString(raw) {
			t.Fatalf("application cursor %q of the documented form refused: %v", raw, err)
		}
	})
}

// cursorPatterns are the cursor parameters' patterns in openapi.json.
func cursorPatterns(t testing.TB) map[string]*regexp.Regexp {
	var doc struct {
		Components struct {
			Parameters map[string]struct {
				Schema struct {
					Pattern string `json:"pattern"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]*regexp.Regexp{}
	for _, name := range []string{"cursor", "searchCursor", "applicationCursor"} {
		p := doc.Components.Parameters[name].Schema.Pattern
		if p == "" {
			t.Fatalf("openapi.json's %s parameter has no pattern", name)
		}
		out[name] = regexp.MustCompile(p)
	}
	return out
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
