// Package corpus makes the message bodies the benchmarks send: words drawn
// from a fixed vocabulary of 20,000 made-up words, so that runs compare.
package corpus

import (
	"math/rand/v2"
	"strings"
)

// Vocabulary is 20,000 made-up words of 3 to 10 letters, the same every run.
var Vocabulary = func() []string {
	r := rand.New(rand.NewPCG(1, 2))
	words := make([]string, 20000)
	for i := range words {
		b := make([]byte, 3+r.IntN(8))
		for j := range b {
			b[j] = byte('a' + r.IntN(26))
		}
		words[i] = string(b)
	}
	return words
}()

// Body is 5 to 14 words of the vocabulary, and extra words if given.
func Body(r *rand.Rand, extra ...string) string {
	n := 5 + r.IntN(10)
	words := make([]string, 0, n+len(extra))
	for i := 0; i < n; i++ {
		words = append(words, Vocabulary[r.IntN(len(Vocabulary))])
	}
	return strings.Join(append(words, extra...), " ")
}
