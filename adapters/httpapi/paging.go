package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/domain"
)

// The paging parameters of the lists: limit, and for lists by number a
// cursor or a position (after, before, around) with an order.

const (
	defaultLimit = 50
	maxLimit     = 200
)

func parseLimit(c *fiber.Ctx) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxLimit {
		return 0, badRequest("limit must be an integer from 1 to 200")
	}
	return n, nil
}

// numberPage reads how a client pages a list ordered by number: a cursor,
// or one of after=N, before=N and around=N, with order=asc|desc (asc by
// default; desc with no position starts from the newest). after=0 is the
// start (what a long poll on an empty chat answers as "through"). They
// exclude one another: given two, the request says two things at once,
// which API.md answers with a 400.
func numberPage(c *fiber.Ctx) (domain.PageRequest[int64], error) {
	limit, err := parseLimit(c)
	if err != nil {
		return domain.PageRequest[int64]{}, err
	}
	page := domain.PageRequest[int64]{Limit: limit}
	switch order := c.Query("order"); order {
	case "", "asc":
	case "desc":
		page.Desc = true
	default:
		return page, badRequest("order must be asc or desc")
	}
	afterGiven := c.Query("after") != ""
	given := 0
	for _, name := range []string{"cursor", "after", "before", "around"} {
		if c.Query(name) != "" {
			given++
		}
	}
	if given > 1 {
		return page, badRequest("use one of cursor, after, before and around, not several")
	}
	for _, p := range []struct {
		name  string
		least int64
		into  *int64
	}{{"after", 0, &page.After}, {"before", 1, &page.Before}, {"around", 1, &page.Around}} {
		raw := c.Query(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < p.least {
			what := " must be a positive integer"
			if p.least == 0 {
				what = " must be a non-negative integer"
			}
			return page, badRequest(p.name + what)
		}
		*p.into = n
	}
	switch raw := c.Query("cursor"); {
	case raw != "":
		pos, err := decodeNumberCursor(raw)
		if err != nil {
			return page, err
		}
		if pos.Backward {
			page.Before, page.Backward = pos.Number, true
		} else {
			page.After = pos.Number
		}
		if c.Query("order") == "" {
			page.Desc = pos.Desc
		}
	case page.Around > 0, afterGiven:
	case page.Before > 0:
		page.Backward = true
	case page.Desc:
		page.Backward = true // newest first: from the end
	}
	return page, nil
}

// numberCursor is where the page after p goes on: past its farthest item
// in the direction the request walked.
func numberCursor[T any](req domain.PageRequest[int64], p domain.Page[T], number func(T) int64) *string {
	if !p.HasMore || len(p.Items) == 0 || req.Around > 0 {
		return nil
	}
	first, last := number(p.Items[0]), number(p.Items[len(p.Items)-1])
	pos := numberPosition{Number: max(first, last), Backward: req.Backward, Desc: req.Desc}
	if req.Backward {
		pos.Number = min(first, last)
	}
	c := encodeNumberCursor(pos)
	return &c
}
