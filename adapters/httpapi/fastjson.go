package httpapi

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The hot answers (a message, a chat, a page of either, a page of hits) are
// written by hand: encoding/json's reflection was a fifth of a page's CPU.
// The output is what encoding/json writes without HTML escaping (a test
// compares them on every shape).

func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' { // as encoding/json does
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendTime writes t as encoding/json does (RFC 3339 with the nanoseconds'
// trailing zeros trimmed). Every time the service keeps is in UTC and written
// here by hand: time.AppendFormat, which reads its layout digit by digit, was
// most of a page's encoding (100 timestamps in a page of 50).
func appendTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if t.Location() != time.UTC || year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	hour, minute, second := t.Clock()
	b = append(b, '"')
	b = append4(b, year)
	b = append(b, '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, minute)
	b = append(b, ':')
	b = append2(b, second)
	if ns := t.Nanosecond(); ns != 0 {
		b = append(b, '.')
		digits := 9
		for ns%10 == 0 { // trailing zeros are not written
			ns /= 10
			digits--
		}
		var frac [9]byte
		for i := digits - 1; i >= 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		b = append(b, frac[:digits]...)
	}
	return append(b, 'Z', '"')
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

func appendMessage(b []byte, m messageJSON) []byte {
	b = append(b, `{"number":`...)
	b = strconv.AppendInt(b, m.Number, 10)
	b = append(b, `,"body":`...)
	b = appendString(b, m.Body)
	b = append(b, `,"author":`...)
	if m.Author == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, string(m.Author))
	}
	b = append(b, `,"type":`...)
	b = appendString(b, m.Type)
	if m.Attrs != "" {
		b = append(b, `,"attributes":`...)
		b = append(b, m.Attrs...)
	}
	if m.ReplyTo != 0 {
		b = append(b, `,"reply_to":`...)
		b = strconv.AppendInt(b, m.ReplyTo, 10)
	}
	if m.Replies != 0 {
		b = append(b, `,"reply_count":`...)
		b = strconv.AppendInt(b, m.Replies, 10)
	}
	b = append(b, `,"created_at":`...)
	if m.CreatedAt == nil {
		b = append(b, "null"...)
	} else {
		b = appendTime(b, *m.CreatedAt)
	}
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, m.UpdatedAt)
	return b
}

func appendChat(b []byte, c chatJSON) []byte {
	b = append(b, `{"number":`...)
	b = strconv.AppendInt(b, c.Number, 10)
	b = append(b, `,"messages_count":`...)
	b = strconv.AppendInt(b, c.MessagesCount, 10)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, c.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, c.UpdatedAt)
	return append(b, '}')
}

func appendPage[T any](b []byte, p pageJSON[T], item func([]byte, T) []byte) []byte {
	b = append(b, `{"data":[`...)
	for i, it := range p.Data {
		if i > 0 {
			b = append(b, ',')
		}
		b = item(b, it)
	}
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, p.HasMore)
	b = append(b, `,"next_cursor":`...)
	if p.NextCursor == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *p.NextCursor)
	}
	return append(b, '}')
}

// fastJSON writes v by hand when it is one of the hot shapes.
func fastJSON(v any) ([]byte, bool) {
	const small = 512
	switch v := v.(type) {
	case messageJSON:
		return append(appendMessage(make([]byte, 0, small), v), '}'), true
	case chatJSON:
		return appendChat(make([]byte, 0, small), v), true
	case pageJSON[messageJSON]:
		// Sized once: a page of 50 grew its buffer five times from 512 bytes.
		n := 64
		for _, m := range v.Data {
			// 160: the names, numbers and times; replies' fields, when there, up to 48 more.
			n += len(m.Body) + len(m.Author) + len(m.Type) + len(m.Attrs) + 160
			if m.ReplyTo != 0 || m.Replies != 0 {
				n += 48
			}
		}
		return appendPage(make([]byte, 0, n), v, func(b []byte, m messageJSON) []byte { return append(appendMessage(b, m), '}') }), true
	case pageJSON[chatJSON]:
		return appendPage(make([]byte, 0, small), v, appendChat), true
	case pageJSON[hitJSON]:
		return appendPage(make([]byte, 0, small), v, func(b []byte, h hitJSON) []byte {
			b = appendMessage(b, h.messageJSON)
			b = append(b, `,"highlight":`...)
			b = appendString(b, h.Highlight)
			return append(b, '}')
		}), true
	}
	return nil, false
}
