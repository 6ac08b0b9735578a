package domain

// PageRequest asks for up to Limit items of a list ordered by key (a number
// for chats and messages, a token for applications). The zero value of a
// key means "unbounded".
type PageRequest[K comparable] struct {
	After  K // only items after this key
	Before K // only items before this key
	// Around asks for the items around this key (numbers only): the half of
	// Limit before it, and the rest from it on. The page has no next one.
	Around K
	// Backward walks from the end (or from Before) toward the start, so the
	// page holds the items closest to Before; otherwise it walks forward
	// from After.
	Backward bool
	// Desc answers the page newest first (the travel decides which items).
	Desc  bool
	Limit int
}

// Page is one page of a list. HasMore says whether items follow Items in
// the direction the request walked.
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
