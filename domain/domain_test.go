package domain_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

func TestNewName(t *testing.T) {
	for _, ok := range []string{"a", "Acme Inc.", strings.Repeat("é", 255)} {
		if _, err := domain.NewName(ok); err != nil {
			t.Errorf("NewName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "   ", "\t\n", strings.Repeat("x", 256), "bad \xff"} {
		_, err := domain.NewName(bad)
		var v *domain.ValidationError
		if !errors.As(err, &v) || v.Field != "name" {
			t.Errorf("NewName(%q) = %v, want a validation error on name", bad, err)
		}
	}
}

func TestNewBody(t *testing.T) {
	if _, err := domain.NewBody("hi", 0); err != nil {
		t.Fatal(err)
	}
	var tooLarge *domain.TooLargeError
	if _, err := domain.NewBody(strings.Repeat("b", domain.DefaultMaxBodyBytes+1), 0); !errors.As(err, &tooLarge) {
		t.Fatalf("oversized body: %v", err)
	}
	if _, err := domain.NewBody("12345", 4); !errors.As(err, &tooLarge) {
		t.Fatalf("body over a custom limit: %v", err)
	}
	var v *domain.ValidationError
	for _, bad := range []string{"", " ", "\xff"} {
		if _, err := domain.NewBody(bad, 0); !errors.As(err, &v) {
			t.Errorf("NewBody(%q) = %v", bad, err)
		}
	}
}

func TestTokens(t *testing.T) {
	seen := map[domain.Token]bool{}
	for i := 0; i < 1000; i++ {
		tok := domain.NewToken()
		if seen[tok] {
			t.Fatal("a token repeated")
		}
		seen[tok] = true
		if _, err := domain.ParseToken(string(tok)); err != nil {
			t.Fatalf("ParseToken(%q): %v", tok, err)
		}
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 23) + "!", strings.Repeat("a", 25)} {
		if _, err := domain.ParseToken(bad); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("ParseToken(%q) = %v, want not found", bad, err)
		}
	}
}

func TestParseNumber(t *testing.T) {
	if n, err := domain.ParseNumber("chat", "42"); err != nil || n != 42 {
		t.Fatalf("42: %d %v", n, err)
	}
	var bad *domain.MalformedError
	for _, raw := range []string{"", "0", "-1", "1.5", "abc", "99999999999999999999"} {
		if _, err := domain.ParseNumber("chat", raw); !errors.As(err, &bad) {
			t.Errorf("ParseNumber(%q) = %v", raw, err)
		}
	}
}

func TestSearchQuery(t *testing.T) {
	q, err := domain.NewSearchQuery("  Hello, wor  hello ")
	if err != nil || strings.Join(q.Terms, "|") != "hello|wor" {
		t.Fatalf("terms %q, %v", q.Terms, err)
	}
	q, err = domain.NewSearchQuery("Café")
	if err != nil || q.Terms[0] != "café" {
		t.Fatalf("accented term %q, %v", q.Terms, err)
	}
	var bad *domain.MalformedError
	for _, raw := range []string{"", "   ", "!!!", strings.Repeat("a", 257)} {
		if _, err := domain.NewSearchQuery(raw); !errors.As(err, &bad) {
			t.Errorf("NewSearchQuery(%q) = %v", raw, err)
		}
	}
	if _, err := domain.NewSearchQuery(strings.Repeat("a", 256)); err != nil {
		t.Errorf("256 characters refused: %v", err)
	}
	// Many short terms would be many lookups: at most 16 distinct ones.
	if _, err := domain.NewSearchQuery(strings.TrimSpace(strings.Repeat("a b c d e f g h i j k l m n o p q ", 7))); !errors.As(err, &bad) {
		t.Errorf("17 distinct terms accepted: %v", err)
	}
	if _, err := domain.NewSearchQuery(strings.Repeat("a ", 128)); err != nil {
		t.Errorf("one term repeated refused: %v", err)
	}
	q, err = domain.NewSearchQuery(`hel "Quick,  brown" -Fox -x-y wor`)
	if err != nil || strings.Join(q.Terms, "|") != "hel|wor" || fmt.Sprint(q.Phrases) != "[[quick brown]]" || strings.Join(q.Exclude, "|") != "fox|x|y" {
		t.Fatalf("operators: %+v %v", q, err)
	}
	for _, raw := range []string{`"unclosed`, `""`, `" , "`, `-only -terms`, `-`, `- -`, `-"a phrase"`, `hello -!!`, `"a b c d e f g h i" j k l m n o p q`} {
		if _, err := domain.NewSearchQuery(raw); !errors.As(err, &bad) {
			t.Errorf("NewSearchQuery(%q) = %v, want a bad request", raw, err)
		}
	}
}

func TestErrorsWrap(t *testing.T) {
	err := domain.Unavailable("redis", errors.New("boom"))
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatal("Unavailable does not wrap ErrUnavailable")
	}
	nf := domain.NotFoundf("chat %d not found", 7)
	if !errors.Is(nf, domain.ErrNotFound) || nf.Error() != "chat 7 not found" {
		t.Fatalf("NotFoundf: %v", nf)
	}
}

// A dependency's error becomes Unavailable unless it already means something.
func TestAsUnavailable(t *testing.T) {
	nf := domain.NotFoundf("chat 7 not found")
	canceled := fmt.Errorf("reading: %w", context.Canceled)
	for _, err := range []error{nil, nf, canceled} {
		if got := domain.AsUnavailable("database", err); got != err {
			t.Errorf("AsUnavailable(%v) = %v, want it as it is", err, got)
		}
	}
	var u *domain.UnavailableError
	if got := domain.AsUnavailable("database", errors.New("disk I/O error")); !errors.As(got, &u) || u.Dependency != "database" {
		t.Errorf("a failure: %v, want the database unavailable", got)
	}
}

// A draft takes its sequence's number (creations) or version (edits and
// deletes) and epoch; a replay also takes the first request's time.
func TestNumbered(t *testing.T) {
	tok := domain.NewToken()
	drafted := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	first := drafted.Add(-time.Hour)
	cases := []struct {
		draft, fresh, replayed domain.Event
	}{
		{domain.ChatCreated{Token: tok, CreatedAt: drafted},
			domain.ChatCreated{Token: tok, Number: 7, Epoch: 2, CreatedAt: drafted},
			domain.ChatCreated{Token: tok, Number: 7, Epoch: 2, CreatedAt: first}},
		{domain.MessageCreated{Token: tok, Chat: 1, Body: "b", CreatedAt: drafted},
			domain.MessageCreated{Token: tok, Chat: 1, Number: 7, Epoch: 2, Body: "b", CreatedAt: drafted},
			domain.MessageCreated{Token: tok, Chat: 1, Number: 7, Epoch: 2, Body: "b", CreatedAt: first}},
		{domain.MessageEdited{Token: tok, Chat: 1, Number: 3, Body: "b", EditedAt: drafted},
			domain.MessageEdited{Token: tok, Chat: 1, Number: 3, Version: 7, Epoch: 2, Body: "b", EditedAt: drafted},
			domain.MessageEdited{Token: tok, Chat: 1, Number: 3, Version: 7, Epoch: 2, Body: "b", EditedAt: first}},
		{domain.MessageDeleted{Token: tok, Chat: 1, Number: 3, DeletedAt: drafted},
			domain.MessageDeleted{Token: tok, Chat: 1, Number: 3, Version: 7, Epoch: 2, DeletedAt: drafted},
			domain.MessageDeleted{Token: tok, Chat: 1, Number: 3, Version: 7, Epoch: 2, DeletedAt: first}},
	}
	for _, c := range cases {
		if got, ok := domain.Numbered(c.draft, 7, 2, time.Time{}); !ok || got != c.fresh {
			t.Errorf("Numbered(%v) = %v, %v; want %v", c.draft, got, ok, c.fresh)
		}
		if got, ok := domain.Numbered(c.draft, 7, 2, first); !ok || got != c.replayed {
			t.Errorf("replayed Numbered(%v) = %v, %v; want %v", c.draft, got, ok, c.replayed)
		}
	}
	if _, ok := domain.Numbered(nil, 1, 0, time.Time{}); ok {
		t.Error("nil numbered")
	}
}
