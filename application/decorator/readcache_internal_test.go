package decorator

import (
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
