package httpapi

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Cursors are positions in a list, in a grammar openapi.json states (the
// patterns below), so that a client, or a generator of clients, knows every
// cursor the server takes: each string of the grammar is a valid position.
// They hold public keys (a number, a token), never a database id. Each kind
// of list has its codec here.
// (The search and application cursors' decoders take a little more than
// their patterns: every cursor a page hands out.)
var numberCursorForm = regexp.MustCompile(`^[1-9][0-9]{0,17}b?d?$`)

var errBadCursor = badRequest("cursor is not valid: use the next_cursor of a page")

// numberPosition is where a page by number goes on: past Number, walking
// backward (toward 1) or forward, answering newest first or not.
type numberPosition struct {
	Number         int64
	Backward, Desc bool
}

// A number cursor is n, then b when the pages walk backward, d when they
// answer newest first.
func encodeNumberCursor(p numberPosition) string {
	c := strconv.FormatInt(p.Number, 10)
	if p.Backward {
		c += "b"
	}
	if p.Desc {
		c += "d"
	}
	return c
}

func decodeNumberCursor(raw string) (numberPosition, error) {
	if !numberCursorForm.MatchString(raw) {
		return numberPosition{}, errBadCursor
	}
	var p numberPosition
	raw, p.Desc = strings.CutSuffix(raw, "d")
	raw, p.Backward = strings.CutSuffix(raw, "b")
	p.Number, _ = strconv.ParseInt(raw, 10, 64) // at most 18 digits: it fits
	return p, nil
}

// A search cursor is the last hit's score and number.
func encodeSearchCursor(h domain.Hit) string {
	return strconv.FormatFloat(h.Score, 'g', -1, 64) + "_" + strconv.FormatInt(h.Message.Number, 10)
}

func decodeSearchCursor(raw string) (domain.SearchCursor, error) {
	score, number, ok := strings.Cut(raw, "_")
	f, err1 := strconv.ParseFloat(score, 64)
	n, err2 := strconv.ParseInt(number, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 1 || f < 0 {
		return domain.SearchCursor{}, errBadCursor
	}
	return domain.SearchCursor{Score: f, Number: n}, nil
}

// An application cursor is the last application's token.
func encodeApplicationCursor(a domain.Application) string { return string(a.Token) }

func decodeApplicationCursor(raw string) (domain.Token, error) {
	t, err := domain.ParseToken(raw)
	if err != nil {
		return "", errBadCursor
	}
	return t, nil
}

// An activity cursor (GET …/me/chats) is the last chat's activity, in µs
// since 1970 (0: never active), and its number.
var activityCursorForm = regexp.MustCompile(`^(0|[1-9][0-9]{0,17})_[1-9][0-9]{0,17}$`)

func encodeActivityCursor(s domain.ChatSummary) string {
	var us int64
	if !s.ActiveAt.IsZero() {
		us = s.ActiveAt.UnixMicro()
	}
	return strconv.FormatInt(us, 10) + "_" + strconv.FormatInt(s.Chat, 10)
}

func decodeActivityCursor(raw string) (*domain.ActivityPosition, error) {
	if !activityCursorForm.MatchString(raw) {
		return nil, errBadCursor
	}
	at, chat, _ := strings.Cut(raw, "_")
	us, _ := strconv.ParseInt(at, 10, 64)
	p := &domain.ActivityPosition{}
	p.Chat, _ = strconv.ParseInt(chat, 10, 64)
	if us != 0 {
		p.At = time.UnixMicro(us).UTC()
	}
	return p, nil
}
