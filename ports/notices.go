package ports

import (
	"context"

	"github.com/chatsvc/chat/domain"
)

// Notices carries ephemeral notices (domain.Notice: typing, read
// positions, membership changes) to every api instance, where the users'
// live streams are: fast (no store, no log), at most once, kept nowhere.
type Notices interface {
	// Publish sends the notice to every instance listening, this one
	// included.
	Publish(ctx context.Context, n domain.Notice) error
	// Listen calls ready once every notice published from then on reaches
	// fn, then fn with each, one at a time, until ctx ends (nil) or the
	// subscription breaks (an error: notices may have been missed, and
	// listening again starts from then).
	Listen(ctx context.Context, ready func(), fn func(domain.Notice)) error
}
