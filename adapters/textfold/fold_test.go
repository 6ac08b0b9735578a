package textfold_test

import (
	"testing"

	"github.com/chatsvc/chat/adapters/textfold"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Hello": "hello", "Café": "cafe", "CAFÉ": "cafe", "cafe\u0301": "cafe", "naïve": "naive", "你好": "你好", "": "",
	} {
		if got := textfold.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkWordsAndMatches(t *testing.T) {
	body := "Un café au lait, hello World"
	if got := textfold.MarkWords(body, []string{"cafe", "wor"}); got != "Un <em>café</em> au lait, hello <em>World</em>" {
		t.Fatalf("MarkWords: %q", got)
	}
	for _, c := range []struct {
		terms, exclude []string
		phrases        [][]string
		want           bool
	}{
		{terms: []string{"afe", "ello"}, want: true},
		{terms: []string{"ohel"}, want: false},
		{phrases: [][]string{{"lait", "hello"}}, want: true},
		{phrases: [][]string{{"cafe", "au"}}, want: true},
		{phrases: [][]string{{"au", "cafe"}}, want: false},
		{phrases: [][]string{{"caf", "au"}}, want: false}, // whole words
		{terms: []string{"hello"}, exclude: []string{"orl"}, want: false},
		{terms: []string{"hello"}, exclude: []string{"zzz"}, want: true},
	} {
		if got := textfold.Matches(body, c.terms, c.phrases, c.exclude); got != c.want {
			t.Errorf("Matches(%+v) = %v", c, got)
		}
	}
}

func BenchmarkMarkWords(b *testing.B) {
	body := "the quick brown fox jumps over the lazy dog and says hello to the world again"
	for i := 0; i < b.N; i++ {
		textfold.MarkWords(body, []string{"hello"})
	}
}
