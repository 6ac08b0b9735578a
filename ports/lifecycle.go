package ports

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
)

// JobStore keeps the data lifecycle jobs (domain.Job) in the system of
// record, where any runner takes them up: a job is held by one runner at a
// time, for a lease that each of its batches extends, so that one whose
// runner stopped is taken again once its lease has run out.
type JobStore interface {
	// DeleteApplication hides the application in one transaction with
	// recording job (its removal): from the commit on, the store finds it
	// nowhere (its token reads as unknown, events of it are dropped), while
	// its rows wait for the job. ErrNotFound when there is no such
	// application.
	DeleteApplication(ctx context.Context, token domain.Token, job domain.Job) error
	// ClaimJob takes the oldest job due at now (not done, NotBefore past,
	// no lease running) and leases it until; found is false when none is due.
	ClaimJob(ctx context.Context, now, until time.Time) (job domain.Job, found bool, err error)
	// SaveJob records the job's progress and state, and extends its lease
	// to until.
	SaveJob(ctx context.Context, job domain.Job, until time.Time) error
	// EnsureJob records job unless a job with its id exists.
	EnsureJob(ctx context.Context, job domain.Job) error
	// Job finds a job of the application by id; ErrNotFound if there is none.
	Job(ctx context.Context, token domain.Token, id string) (domain.Job, error)
	// JobCounts counts the jobs that are not done, by kind and state, and
	// tells when the least recently advanced of them last advanced (zero
	// when there is none): what the metrics and the stuck-job alert read.
	JobCounts(ctx context.Context) (counts map[domain.JobKind]map[domain.JobState]int, stalest time.Time, err error)
}

// ApplicationPurge removes the rows of an application the store hid
// (JobStore.DeleteApplication), a bounded batch at a time, each in a
// transaction of its own, so that a purge never holds locks for long nor
// sends the replicas one huge transaction.
type ApplicationPurge interface {
	// PurgeChats lists up to limit numbers of the hidden application's
	// chats that still have rows, lowest first.
	PurgeChats(ctx context.Context, token domain.Token, limit int) ([]int64, error)
	// PurgeChat removes up to limit of the chat's messages, and once none is
	// left the chat's own row and what hangs on it; gone tells it is.
	PurgeChat(ctx context.Context, token domain.Token, chat int64, limit int) (removed int, gone bool, err error)
	// PurgeRest removes up to limit rows of what else the application has
	// (keys, outbox, members, webhooks and their deliveries, the event
	// feed, sequences), then its own row once nothing else is left; done
	// tells the row is gone (nothing of it is left).
	PurgeRest(ctx context.Context, token domain.Token, limit int) (removed int, done bool, err error)
}

// IndexPurge removes a chat's documents from the search index.
type IndexPurge interface {
	// PurgeChatDocuments removes up to limit of the chat's documents and
	// returns how many it removed (0: none is left).
	PurgeChatDocuments(ctx context.Context, token domain.Token, chat int64, limit int) (int, error)
}

// KeyPurge removes what is kept of an application outside the system of
// record and the index (Redis: its sequences, idempotency keys, read
// cache generations, rate limits, members' and access caches).
type KeyPurge interface {
	PurgeApplicationKeys(ctx context.Context, token domain.Token) (removed int, err error)
}

// RetentionStore keeps how long messages are kept (an application's in
// the application's own row, see ApplicationStore; a chat's here), and
// reads what the retention sweep deletes.
type RetentionStore interface {
	// SetChatRetention keeps a chat's retention in days (0: removes it,
	// and the application's applies).
	SetChatRetention(ctx context.Context, token domain.Token, chat, days int64) error
	// ChatRetention is a chat's own retention (0: none).
	ChatRetention(ctx context.Context, token domain.Token, chat int64) (int64, error)
	// RetentionPolicies pages every policy, by application then chat
	// (0, the application's, first), after the given one.
	RetentionPolicies(ctx context.Context, after domain.ChatKey, limit int) ([]domain.RetentionPolicy, error)
	// ChatNumbers pages the numbers of an application's persisted chats.
	ChatNumbers(ctx context.Context, token domain.Token, after int64, limit int) ([]int64, error)
	// ExpiredMessages walks up to limit of the chat's messages after
	// number after, in number order, and returns those not deleted that
	// were created before before; next is where the walk stopped, and
	// done tells it reached a message created later (or the chat's end).
	ExpiredMessages(ctx context.Context, token domain.Token, chat, after int64, before time.Time, limit int) (numbers []int64, next int64, done bool, err error)
}
