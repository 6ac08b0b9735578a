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

func TestMarkWordsAndContainsAll(t *testing.T) {
	body := "Un café au lait, hello World"
	if got := textfold.MarkWords(body, []string{"cafe", "wor"}); got != "Un <em>café</em> au lait, hello <em>World</em>" {
		t.Fatalf("MarkWords: %q", got)
	}
	if !textfold.ContainsAll(body, []string{"afe", "ello"}) || textfold.ContainsAll(body, []string{"lait hello"}) || textfold.ContainsAll(body, []string{"ohel"}) {
		t.Fatal("ContainsAll")
	}
}

func BenchmarkMarkWords(b *testing.B) {
	body := "the quick brown fox jumps over the lazy dog and says hello to the world again"
	for i := 0; i < b.N; i++ {
		textfold.MarkWords(body, []string{"hello"})
	}
}
