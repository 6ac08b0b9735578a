package commalist

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	for in, want := range map[string][]string{
		"":                              nil,
		"a":                             {"a"},
		" a , b,,c ":                    {"a", "b", "c"},
		"127.0.0.1:7001,127.0.0.1:7002": {"127.0.0.1:7001", "127.0.0.1:7002"},
		" , ":                           nil,
	} {
		if got := Split(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Split(%q) = %q, want %q", in, got, want)
		}
	}
}
