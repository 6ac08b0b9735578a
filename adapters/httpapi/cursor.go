package httpapi

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/chatsvc/chat/domain"
)

// Cursors are opaque to clients: a versioned, base64url-encoded position.
// They hold public keys (a number, a token), never a database id. Each kind
// of list has its codec below, over the one envelope.
func encodeCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + kind + ":" + key))
}

func decodeCursor(kind, raw string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	prefix := "v1:" + kind + ":"
	if err != nil || !strings.HasPrefix(string(b), prefix) || len(b) == len(prefix) {
		return "", errBadCursor
	}
	return strings.TrimPrefix(string(b), prefix), nil
}

var errBadCursor = badRequest("cursor is not valid")

// numberPosition is where a page by number goes on: past Number, walking
// backward (toward 1) or forward, answering newest first or not.
type numberPosition struct {
	Number         int64
	Backward, Desc bool
}

// A number cursor's key is n, then :b when the pages walk backward, :d when
// they answer newest first.
func encodeNumberCursor(kind string, p numberPosition) string {
	key := strconv.FormatInt(p.Number, 10)
	if p.Backward {
		key += ":b"
	}
	if p.Desc {
		key += ":d"
	}
	return encodeCursor(kind, key)
}

func decodeNumberCursor(kind, raw string) (numberPosition, error) {
	key, err := decodeCursor(kind, raw)
	if err != nil {
		return numberPosition{}, err
	}
	var p numberPosition
	key, p.Desc = strings.CutSuffix(key, ":d")
	key, p.Backward = strings.CutSuffix(key, ":b")
	p.Number, err = strconv.ParseInt(key, 10, 64)
	if err != nil || p.Number < 1 {
		return numberPosition{}, errBadCursor
	}
	return p, nil
}

// A search cursor's key is the last hit's score and number.
func encodeSearchCursor(h domain.Hit) string {
	return encodeCursor("search", strconv.FormatFloat(h.Score, 'g', -1, 64)+":"+strconv.FormatInt(h.Message.Number, 10))
}

func decodeSearchCursor(raw string) (domain.SearchCursor, error) {
	key, err := decodeCursor("search", raw)
	if err != nil {
		return domain.SearchCursor{}, err
	}
	score, number, ok := strings.Cut(key, ":")
	f, err1 := strconv.ParseFloat(score, 64)
	n, err2 := strconv.ParseInt(number, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 1 {
		return domain.SearchCursor{}, errBadCursor
	}
	return domain.SearchCursor{Score: f, Number: n}, nil
}

// An application cursor's key is the last application's token.
func encodeApplicationCursor(a domain.Application) string {
	return encodeCursor("app", string(a.Token))
}

func decodeApplicationCursor(raw string) (domain.Token, error) {
	key, err := decodeCursor("app", raw)
	if err != nil {
		return "", err
	}
	t, err := domain.ParseToken(key)
	if err != nil {
		return "", errBadCursor
	}
	return t, nil
}
