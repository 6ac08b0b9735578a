package domain

// PageRequest asks for up to Limit items after the item keyed by After
// (a number for chats and messages, a token for applications; zero value: from the start).
type PageRequest[K comparable] struct {
	After K
	Limit int
}

// Page is one page of a list. HasMore says whether items follow Items.
type Page[T any] struct {
	Items   []T
	HasMore bool
}

// TrimPage turns Limit+1 fetched rows into a page of at most limit items.
func TrimPage[T any](rows []T, limit int) Page[T] {
	if len(rows) > limit {
		return Page[T]{Items: rows[:limit], HasMore: true}
	}
	return Page[T]{Items: rows}
}
