package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatsvc/chat/domain"
)

// A type is text by default, system only for the application itself, or
// one of the application's by the pattern; anything else is invalid.
func TestParseType(t *testing.T) {
	app, user := domain.AppCaller("AbCdEfGhIjKlMnOpQrStUvWx"), domain.Caller{App: "AbCdEfGhIjKlMnOpQrStUvWx", User: "ann", Scope: domain.ScopeWrite}
	for _, c := range []struct {
		caller  domain.Caller
		raw     string
		want    string
		invalid bool
		err     error
	}{
		{app, "", "text", false, nil}, {user, "", "text", false, nil}, {app, "system", "system", false, nil},
		{user, "system", "", false, domain.ErrForbidden}, {user, "card.v1", "card.v1", false, nil},
		{app, "a" + strings.Repeat("b", 31), "a" + strings.Repeat("b", 31), false, nil},
		{app, "a" + strings.Repeat("b", 32), "", true, nil}, {app, "Card", "", true, nil}, {app, "1a", "", true, nil},
		{app, "a b", "", true, nil}, {app, "é", "", true, nil}, {app, "a\n", "", true, nil},
	} {
		got, err := c.caller.ParseType(c.raw)
		var v *domain.ValidationError
		switch {
		case c.invalid && !errors.As(err, &v), !c.invalid && !errors.Is(err, c.err), err == nil && got != c.want:
			t.Errorf("%q by %q: %q, %v", c.raw, c.caller.User, got, err)
		}
	}
}

// Attributes are a JSON object within 4 KiB and 16 levels, kept as sent
// but for the whitespace between tokens.
func TestParseAttributes(t *testing.T) {
	for raw, want := range map[string]string{
		`{}`: `{}`, ` { "z" : 1.50 , "a" : "\u00e9 x" } `: `{"z":1.50,"a":"\u00e9 x"}`,
		`{"k":"` + strings.Repeat("x", 4088) + `"}`:                 `{"k":"` + strings.Repeat("x", 4088) + `"}`,
		strings.Repeat(`{"a":`, 16) + "1" + strings.Repeat("}", 16): strings.Repeat(`{"a":`, 16) + "1" + strings.Repeat("}", 16),
		`{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}`:                  `{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}`,
	} {
		if got, err := domain.ParseAttributes([]byte(raw)); err != nil || got != want {
			t.Errorf("%.40q: %.40q, %v", raw, got, err)
		}
	}
	for _, raw := range []string{
		``, `null`, `[]`, `"{}"`, `1`, `{`, `{"a":1}x`, `{"k":"` + strings.Repeat("x", 4089) + `"}`,
		strings.Repeat(`{"a":`, 17) + "1" + strings.Repeat("}", 17), `{"a":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}`,
	} {
		var v *domain.ValidationError
		if _, err := domain.ParseAttributes([]byte(raw)); !errors.As(err, &v) {
			t.Errorf("%.40q: %v, want a validation error", raw, err)
		}
	}
}
