package decorator

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// CachedReads answers a chat, one of its messages or a page of them from a
// ports.ReadCache when it can, and from the store otherwise. It is never
// wrong: whatever changes a chat (a message created, edited or deleted, its
// counter corrected) invalidates everything cached about the chat once the
// change is committed (Projector), and an answer read before a change but
// stored after it lands under a generation nobody looks up any more.
// Only answers found are cached; not found is asked of the store each time,
// as it changes as soon as the worker catches up.
type CachedReads struct {
	ports.ChatReader
	messages ports.MessageReader
	cache    ports.ReadCache
}

func NewCachedReads(chats ports.ChatReader, messages ports.MessageReader, cache ports.ReadCache) *CachedReads {
	return &CachedReads{ChatReader: chats, messages: messages, cache: cache}
}

func (r *CachedReads) Chat(ctx context.Context, token domain.Token, number int64) (domain.Chat, error) {
	return cached(ctx, r.cache, domain.ChatKey{Token: token, Number: number}, "c", appendChat, readChat,
		func() (domain.Chat, error) { return r.ChatReader.Chat(ctx, token, number) })
}

func (r *CachedReads) Message(ctx context.Context, token domain.Token, chat, number int64) (domain.Message, error) {
	return cached(ctx, r.cache, domain.ChatKey{Token: token, Number: chat}, "m"+strconv.FormatInt(number, 10), appendMessage, readMessage,
		func() (domain.Message, error) { return r.messages.Message(ctx, token, chat, number) })
}

func (r *CachedReads) Messages(ctx context.Context, token domain.Token, chat int64, page domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	return cached(ctx, r.cache, domain.ChatKey{Token: token, Number: chat}, pageKey(page), appendMessagePage, readMessagePage,
		func() (domain.Page[domain.Message], error) { return r.messages.Messages(ctx, token, chat, page) })
}

// Replies are cached as the chat's pages are: any change to the chat drops them.
func (r *CachedReads) Replies(ctx context.Context, token domain.Token, chat, parent int64, page domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	return cached(ctx, r.cache, domain.ChatKey{Token: token, Number: chat}, "r"+strconv.FormatInt(parent, 10)+":"+pageKey(page), appendMessagePage, readMessagePage,
		func() (domain.Page[domain.Message], error) { return r.messages.Replies(ctx, token, chat, parent, page) })
}

func cached[T any](ctx context.Context, cache ports.ReadCache, chat domain.ChatKey, key string,
	encode func([]byte, T) []byte, decode func([]byte) (T, []byte, error), load func() (T, error)) (T, error) {
	value, slot, hit := cache.Lookup(ctx, chat, key)
	if hit && len(value) > 0 && value[0] == cacheEncoding {
		if v, rest, err := decode(value[1:]); err == nil && len(rest) == 0 {
			return v, nil
		}
	}
	// A miss, or not an entry of this encoding (another version's): read
	// through, store ours.
	v, err := load()
	if err == nil && slot != "" {
		cache.Store(ctx, slot, encode([]byte{cacheEncoding}, v))
	}
	return v, err
}

// pageKey names a page request; every field that shapes the page is in it.
func pageKey(p domain.PageRequest[int64]) string {
	b := make([]byte, 0, 48)
	b = append(b, 'p')
	for _, n := range []int64{p.After, p.Before, p.Around, int64(p.Limit)} {
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ':')
	}
	b = strconv.AppendBool(b, p.Backward)
	b = append(b, ':')
	return string(strconv.AppendBool(b, p.Desc))
}

// The cache's encoding: a version byte (added and checked by cached), then
// varints and length-prefixed strings. Times keep their instant (UTC, nanoseconds), as the store gives them.
// 2: messages carry their author. An entry of 1 (cached before) is a miss,
// never a message without its author.
// 3: and their type and attributes; 4: their parent and count of replies.
const cacheEncoding = 4

var errCacheEncoding = errors.New("read cache: not an entry of this encoding")

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func readTime(b []byte) (time.Time, []byte, error) {
	n, k := binary.Varint(b)
	if k <= 0 {
		return time.Time{}, nil, errCacheEncoding
	}
	if n == 0 {
		return time.Time{}, b[k:], nil
	}
	return time.Unix(0, n).UTC(), b[k:], nil
}

func readInt(b []byte) (int64, []byte, error) {
	n, k := binary.Varint(b)
	if k <= 0 {
		return 0, nil, errCacheEncoding
	}
	return n, b[k:], nil
}

func appendChat(b []byte, c domain.Chat) []byte {
	b = binary.AppendVarint(b, c.Number)
	b = binary.AppendVarint(b, c.MessagesCount)
	b = appendTime(b, c.CreatedAt)
	return appendTime(b, c.UpdatedAt)
}

func readChat(b []byte) (c domain.Chat, rest []byte, err error) {
	if c.Number, b, err = readInt(b); err != nil {
		return
	}
	if c.MessagesCount, b, err = readInt(b); err != nil {
		return
	}
	if c.CreatedAt, b, err = readTime(b); err != nil {
		return
	}
	c.UpdatedAt, b, err = readTime(b)
	return c, b, err
}

func appendMessage(b []byte, m domain.Message) []byte {
	b = binary.AppendVarint(b, m.Number)
	b = appendTime(b, m.CreatedAt)
	b = appendTime(b, m.UpdatedAt)
	b = appendString(b, m.Body.String())
	b = appendString(b, m.Author)
	b = appendString(b, m.Type)
	b = appendString(b, m.Attributes)
	b = binary.AppendVarint(b, m.ReplyTo)
	return binary.AppendVarint(b, m.ReplyCount)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readString reads a string appendString wrote at b, a suffix of whole when
// whole is not empty: the string is then a substring of whole, not a copy
// of its own (a page's entry is made a string once, not once per message).
func readString(b []byte, whole string) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, errCacheEncoding
	}
	if whole != "" {
		at := len(whole) - len(b) + k
		return whole[at : at+int(n)], b[k+int(n):], nil
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

func readMessage(b []byte) (domain.Message, []byte, error) { return readMessageOf(b, "") }

// readMessageOf reads a message from b, a suffix of whole when whole is not
// empty (see readString).
func readMessageOf(b []byte, whole string) (m domain.Message, rest []byte, err error) {
	if m.Number, b, err = readInt(b); err != nil {
		return
	}
	if m.CreatedAt, b, err = readTime(b); err != nil {
		return
	}
	if m.UpdatedAt, b, err = readTime(b); err != nil {
		return
	}
	var body string
	if body, b, err = readString(b, whole); err != nil {
		return
	}
	m.Body = domain.StoredBody(body)
	if m.Author, b, err = readString(b, whole); err != nil {
		return
	}
	if m.Type, b, err = readString(b, whole); err != nil {
		return
	}
	if m.Attributes, b, err = readString(b, whole); err != nil {
		return
	}
	if m.ReplyTo, b, err = readInt(b); err != nil {
		return
	}
	m.ReplyCount, b, err = readInt(b)
	return m, b, err
}

func appendMessagePage(b []byte, p domain.Page[domain.Message]) []byte {
	if p.HasMore {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(p.Items)))
	for _, m := range p.Items {
		b = appendMessage(b, m)
	}
	return b
}

func readMessagePage(b []byte) (domain.Page[domain.Message], []byte, error) {
	var p domain.Page[domain.Message]
	if len(b) < 1 || b[0] > 1 {
		return p, nil, errCacheEncoding
	}
	p.HasMore = b[0] == 1
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n > uint64(len(b)) {
		return p, nil, errCacheEncoding
	}
	whole := string(b)
	b = b[1+k:]
	p.Items = make([]domain.Message, 0, n)
	for range n {
		m, rest, err := readMessageOf(b, whole)
		if err != nil {
			return p, nil, err
		}
		p.Items = append(p.Items, m)
		b = rest
	}
	return p, b, nil
}

// NoReadCache caches nothing: every read goes to the store.
type NoReadCache struct{}

func (NoReadCache) Lookup(context.Context, domain.ChatKey, string) ([]byte, string, bool) {
	return nil, "", false
}
func (NoReadCache) Store(context.Context, string, []byte)              {}
func (NoReadCache) Invalidate(context.Context, []domain.ChatKey) error { return nil }
