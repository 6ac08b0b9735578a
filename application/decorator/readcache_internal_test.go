package decorator

import (
	"context"
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

// A page read back from its cache entry is the page stored: every body (a
// substring of the entry) in its place, whatever its bytes, and a message
// not yet persisted (no creation time) stays without one.
func TestMessagePageEntryRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 59, 59, 123456000, time.UTC)
	page := domain.Page[domain.Message]{HasMore: true}
	for i, body := range []string{"hello", "", "é 你好 😀", "bad \xff utf8", "a\x00b", "last"} {
		m := domain.Message{Number: int64(i + 1), Body: domain.StoredBody(body), UpdatedAt: at.Add(time.Duration(i))}
		if i != 3 {
			m.CreatedAt = at
		}
		if i%2 == 1 {
			m.Author = body + " (author)"
			m.Type, m.Attributes = "card.v1", `{"k":"`+body+`"}`
			m.ReplyTo, m.ReplyCount = int64(i), int64(i*1000)
		}
		page.Items = append(page.Items, m)
	}
	for _, p := range []domain.Page[domain.Message]{page, {Items: []domain.Message{}}} {
		entry := appendMessagePage(nil, p)
		got, rest, err := readMessagePage(entry)
		if err != nil || len(rest) != 0 {
			t.Fatalf("read back: %v, %d bytes left", err, len(rest))
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("read back\n %+v\nstored\n %+v", got, p)
		}
		for cut := range len(entry) { // a truncated entry is refused, never misread
			if _, _, err := readMessagePage(entry[:cut]); err == nil && cut < len(entry) && len(p.Items) > 0 {
				t.Fatalf("an entry cut at %d of %d was read", cut, len(entry))
			}
		}
	}
}

// Whatever bytes a cache entry holds (a corrupted or foreign value in
// Redis), reading it gives a value or an error, never a panic; and what it
// reads as a page is encoded back to an entry that reads the same.
func FuzzCacheEntry(f *testing.F) {
	at := time.Date(2026, 12, 1, 23, 59, 59, 123456000, time.UTC)
	page := domain.Page[domain.Message]{HasMore: true, Items: []domain.Message{
		{Number: 1, Body: domain.StoredBody("hello"), CreatedAt: at, UpdatedAt: at},
		{Number: 2, Body: domain.StoredBody("é 你好"), UpdatedAt: at},
	}}
	f.Add(appendMessagePage(nil, page))
	f.Add(appendMessage(nil, page.Items[0]))
	f.Add(appendChat(nil, domain.Chat{Number: 3, MessagesCount: 9, CreatedAt: at, UpdatedAt: at}))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = readChat(b)
		_, _, _ = readMessage(b)
		p, _, err := readMessagePage(b)
		if err != nil {
			return
		}
		again, rest, err := readMessagePage(appendMessagePage(nil, p))
		if err != nil || len(rest) != 0 || !reflect.DeepEqual(again, p) {
			t.Fatalf("a page read from %x does not survive its own encoding: %v", b, err)
		}
	})
}

// An entry cached by a version that wrote messages without their authors
// is a miss: the message is read again, with its author, and cached anew.
func TestOlderEntriesAreMisses(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 59, 59, 0, time.UTC)
	m := domain.Message{Number: 1, Body: domain.StoredBody("hi"), Author: "ann", CreatedAt: at, UpdatedAt: at}
	// What encoding 1 wrote: number, times, body; no author.
	old := []byte{1}
	old = binary.AppendVarint(old, m.Number)
	old = appendTime(appendTime(old, at), at)
	old = appendString(old, "hi")
	cache := &oneEntry{value: old}
	loads := 0
	got, err := cached(context.Background(), cache, domain.ChatKey{Token: "t", Number: 1}, "m1", appendMessage, readMessage,
		func() (domain.Message, error) { loads++; return m, nil })
	if err != nil || loads != 1 || got != m {
		t.Fatalf("got %+v (%v) after %d loads, want %+v from the store", got, err, loads, m)
	}
	if got, _, err := readMessage(cache.value[1:]); cache.value[0] != cacheEncoding || err != nil || got != m {
		t.Fatalf("cached anew: %+v, %v", got, err)
	}
}

type oneEntry struct{ value []byte }

func (c *oneEntry) Lookup(context.Context, domain.ChatKey, string) ([]byte, string, bool) {
	return c.value, "slot", true
}
func (c *oneEntry) Store(_ context.Context, _ string, v []byte)        { c.value = v }
func (c *oneEntry) Invalidate(context.Context, []domain.ChatKey) error { return nil }
