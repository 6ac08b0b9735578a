package application

import (
	"context"
	"slices"

	"github.com/chatsvc/chat/domain"
)

// pageByNumber answers a page request on a list ordered by number: fetch
// walks one direction (After/Before/Backward); Around is two walks, one
// each way from the number; the items come back in the order asked (Desc).
func pageByNumber[T any](ctx context.Context, page domain.PageRequest[int64], number func(T) int64,
	fetch func(context.Context, domain.PageRequest[int64]) (domain.Page[T], error)) (domain.Page[T], error) {
	if page.Around > 0 {
		before, err := fetch(ctx, domain.PageRequest[int64]{Before: page.Around, Backward: true, Limit: page.Limit / 2})
		if err != nil {
			return domain.Page[T]{}, err
		}
		after, err := fetch(ctx, domain.PageRequest[int64]{After: page.Around - 1, Limit: page.Limit - len(before.Items)})
		if err != nil {
			return domain.Page[T]{}, err
		}
		items := slices.Clone(before.Items)
		slices.Reverse(items)
		items = append(items, after.Items...)
		if page.Desc {
			slices.Reverse(items)
		}
		return domain.Page[T]{Items: items}, nil
	}
	p, err := fetch(ctx, page)
	if err != nil {
		return p, err
	}
	// Fetched in travel order (closest first); answered in the order asked.
	ascending := len(p.Items) < 2 || number(p.Items[0]) < number(p.Items[1])
	if ascending == page.Desc {
		slices.Reverse(p.Items)
	}
	return p, nil
}
