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
		if i%3 != 0 {
			m.Author = author(b) // every string a body may be
		}
		m.Type = "text"
		if i%2 == 1 {
			m.Type, m.Attrs, m.ReplyTo, m.Replies = "card.v1", `{"z":1.50,"a":["<x>","\u00e9"]}`, int64(i), int64(i*3)
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

// Times written by hand are what encoding/json writes, for every fraction
// (none, trailing zeros, full nanoseconds), year and zone.
func TestAppendTimeMatchesEncodingJSON(t *testing.T) {
	base := []time.Time{
		time.Date(2026, 12, 1, 17, 18, 19, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 100000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 6, 30, 12, 0, 0, 123456000, time.FixedZone("x", 3600)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, 0).UTC(),
		time.Now().UTC(),
	}
	for i := range 20000 { // a spread of instants and fractions
		base = append(base, time.Unix(int64(i)*7919*3571, int64(i)*104729%1e9).UTC())
	}
	for _, at := range base {
		want, err := json.Marshal(at)
		if err != nil {
			continue // years json refuses are never stored
		}
		if got := appendTime(nil, at); !bytes.Equal(got, want) {
			t.Fatalf("%v: got %s, want %s", at, got, want)
		}
	}
}

// A page of 50 messages as the read path writes it (go test -bench Page ./adapters/httpapi).
func BenchmarkFastJSONPage(b *testing.B) {
	at := time.Date(2026, 12, 1, 17, 18, 19, 123456000, time.UTC)
	page := pageJSON[messageJSON]{HasMore: true}
	for i := range 50 {
		page.Data = append(page.Data, messageJSON{Number: int64(i + 1), Body: "yfxqwmzwdg bgzrs ldvcygk wktwgjqljg fossq qydovqt sgtn", CreatedAt: &at, UpdatedAt: at})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := fastJSON(page); !ok {
			b.Fatal("no fast path")
		}
	}
}
