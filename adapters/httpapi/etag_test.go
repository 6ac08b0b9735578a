package httpapi

import "testing"

func TestIfNoneMatchNamesTheTag(t *testing.T) {
	tag := []byte(`"12-abc"`)
	for list, want := range map[string]bool{
		`"12-abc"`:             true,
		`W/"12-abc"`:           true,
		`"1-x", W/"12-abc"`:    true,
		` "1-x" ,"12-abc" `:    true,
		`*`:                    true,
		``:                     false,
		`"12-abd"`:             false,
		`12-abc`:               false,
		`"12-abc`:              false,
		`"1-x","2-y",W/"3-z"`:  false,
		`W/"12-abc"x, "other"`: false,
	} {
		if got := matchesAny([]byte(list), tag); got != want {
			t.Errorf("If-None-Match %q: %v, want %v", list, got, want)
		}
	}
}
