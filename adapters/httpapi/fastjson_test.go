package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The hand-written answers are byte for byte what encoding/json writes.
func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 1, 17, 18, 19, 123456000, time.UTC)
	bodies := []string{"plain", `quo"te \ back`, "tab\tnl\ncr\r", "\x01\x1f", "<em>x</em> & y", "é 你好 😀", "a\u2028b\u2029c", "bad \xff utf8", ""}
	cursor := "djE6bWVzc2FnZToy"
	var msgs []messageJSON
	var hits []hitJSON
	for i, b := range bodies {
		m := messageJSON{Number: int64(i + 1), Body: b, UpdatedAt: at}
		if i%2 == 0 {
			m.CreatedAt = &at
		}
		msgs = append(msgs, m)
		hits = append(hits, hitJSON{messageJSON: m, Highlight: "<em>" + b + "</em>"})
	}
	chat := chatJSON{Number: 9223372036854775807, MessagesCount: 3, CreatedAt: at, UpdatedAt: at.Add(time.Nanosecond)}
	for _, v := range []any{
		msgs[0], msgs[1], chat,
		pageJSON[messageJSON]{Data: msgs, HasMore: true, NextCursor: &cursor},
		pageJSON[messageJSON]{Data: []messageJSON{}},
		pageJSON[chatJSON]{Data: []chatJSON{chat, chat}},
		pageJSON[hitJSON]{Data: hits, HasMore: false},
	} {
		fast, ok := fastJSON(v)
		if !ok {
			t.Fatalf("%T has no fast path", v)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if want := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(fast, want) {
			t.Fatalf("%T:\n fast %s\n want %s", v, fast, want)
		}
	}
}
