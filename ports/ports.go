// Package ports declares what the use cases need from the outside world. Each
// interface is small and named for its caller's need; adapters implement them.
// It imports only domain and the standard library.
package ports

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Clock tells the time; tests pin it.
type Clock interface{ Now() time.Time }

// ApplicationStore keeps applications in the system of record. Applications
// are written synchronously: they are rare, and a token must be readable the
// moment it is handed out.
type ApplicationStore interface {
	CreateApplication(ctx context.Context, app domain.Application) error
	// CreateApplicationKeyed stores app and, in the same transaction, the
	// idempotency key of the request that made it, kept a day.
	CreateApplicationKeyed(ctx context.Context, app domain.Application, idem domain.Idempotency) error
	// ApplicationByKey finds the application a request with key made within
	// the day, and that request's fingerprint; found is false otherwise.
	ApplicationByKey(ctx context.Context, key string) (app domain.Application, fingerprint string, found bool, err error)
	Application(ctx context.Context, token domain.Token) (domain.Application, error)
	// UpdateApplication reads the application, has change make its new
	// state, and writes that in one transaction (the row locked meanwhile):
	// concurrent changes (a rename and a rotation) never lose one another.
	// An error from change is returned, and nothing is written.
	UpdateApplication(ctx context.Context, token domain.Token, change func(domain.Application) (domain.Application, error)) (domain.Application, error)
	Applications(ctx context.Context, page domain.PageRequest[domain.Token]) (domain.Page[domain.Application], error)
}

// ApplicationAccess keeps every application's access (its mode and its
// secrets' hashes) where each api instance reads it on every request
// without the system of record: the store stays the truth, and this is
// written after each change the store commits. A change holds on every api
// instance from the moment Store returns.
type ApplicationAccess interface {
	// Access is what is kept for token; found is false when nothing is
	// (never written, or lost): the caller loads it from the store and Fills.
	Access(ctx context.Context, token domain.Token) (access domain.AppAccess, found bool, err error)
	// Forget drops what is kept, before a change is committed to the store:
	// if Store then fails, the next read loads the change from the store
	// rather than finding the state before it.
	Forget(ctx context.Context, token domain.Token) error
	// Store keeps a change the store committed, replacing what was kept.
	Store(ctx context.Context, token domain.Token, access domain.AppAccess) error
	// Fill keeps what a read loaded from the store, unless something is
	// kept already (a change stored meanwhile wins over the older load).
	Fill(ctx context.Context, token domain.Token, access domain.AppAccess) error
}

// ChatReader reads persisted chats.
type ChatReader interface {
	// ChatExists is nil for a persisted chat, ErrNotFound otherwise; it is
	// cheap (what exists stays), for requests that only need to know.
	ChatExists(ctx context.Context, token domain.Token, number int64) error
	Chat(ctx context.Context, token domain.Token, number int64) (domain.Chat, error)
	Chats(ctx context.Context, token domain.Token, page domain.PageRequest[int64]) (domain.Page[domain.Chat], error)
}

// MessageReader reads persisted messages.
type MessageReader interface {
	Message(ctx context.Context, token domain.Token, chat, number int64) (domain.Message, error)
	Messages(ctx context.Context, token domain.Token, chat int64, page domain.PageRequest[int64]) (domain.Page[domain.Message], error)
	// Replies pages the messages answering message parent, as Messages.
	Replies(ctx context.Context, token domain.Token, chat, parent int64, page domain.PageRequest[int64]) (domain.Page[domain.Message], error)
}

// Sequencer knows which applications exist, so that the create path needs
// no query to the system of record: an application's chat numbers are
// handed out by the EventQueue once it is registered here.
type Sequencer interface {
	// RegisterApplication makes a new application's chat sequence start at 1.
	RegisterApplication(ctx context.Context, token domain.Token) error
}

// SequenceSeeds tells a sequencer that keeps its state beside the system of
// record (the embedded one) where each sequence stands there, for an
// application stored before its sequence was.
type SequenceSeeds interface {
	// ChatSeed: the highest chat number of the application; ErrNotFound if it does not exist.
	ChatSeed(ctx context.Context, token domain.Token) (int64, error)
	// MessageSeed: the highest message number and edit version in the chat; ErrNotFound if it does not exist.
	MessageSeed(ctx context.Context, token domain.Token, chat int64) (number, version int64, err error)
}

// SequenceFences is how a sequencer that can lose its state (Redis restarted
// empty) stays safe. A number handed out may still be in a queue or in a
// worker's hands, unwritten, when the sequencer loses its state, so the
// highest persisted number is not where numbering may resume. Two records in
// the system of record make it safe:
//
//   - a lease: a sequence hands out numbers only up to what it reserved
//     (Reserve, rarely: the reservation grows geometrically; below floor, the
//     reservation every sequence has without asking);
//   - a fence: a sequence found lost resumes after the highest of its
//     persisted number, its reservation and floor, in a new epoch; the
//     projection refuses an older event numbered above a later fence
//     (ErrNumberConflict), which the lease makes impossible but which is
//     checked all the same.
//
// So no number is ever handed out twice, at the price of a gap after a loss.
type SequenceFences interface {
	// Reserve records that the sequence of scope (chat 0: the application's
	// chat numbers; else that chat's message numbers), whose next number is
	// next, may hand out numbers up to reserved: upTo, unless the system of
	// record numbered writes of the sequence itself at or above next while
	// the sequencer could not be reached (OutboxQueue). Then the sequencer
	// must skip to skip (the highest of them) before it hands out more, and
	// reserved is as far above skip as upTo was above next. skip is 0
	// otherwise. Reservations only grow.
	Reserve(ctx context.Context, token domain.Token, chat, next, upTo int64) (skip, reserved int64, err error)
	// FenceChats fences the application's chat numbers: numbering resumes
	// after resume, in epoch. ErrNotFound if the application does not exist.
	FenceChats(ctx context.Context, token domain.Token, floor int64) (resume, epoch int64, err error)
	// FenceMessages fences the chat's message numbers likewise; edit versions
	// resume at version, above every version handed out before. ErrNotFound
	// if the chat is not persisted.
	FenceMessages(ctx context.Context, token domain.Token, chat, floor int64) (resume, version, epoch int64, err error)
	// FirstAnswer finds what the application's idempotency key was first
	// answered with, as the projection kept it with the row (a day): what a
	// sequencer that lost its keys asks, and only then. found is false for
	// a key not kept (or expired).
	FirstAnswer(ctx context.Context, token domain.Token, key string) (answer domain.FirstAnswer, found bool, err error)
}

// OutboxEntry is an event the degraded write path numbered and persisted
// while the event log could not be reached, as the log's entry (its topic
// and wire fields), waiting to be appended there. Chat is the sequence it
// was numbered in (0: the application's chats).
type OutboxEntry struct {
	ID                       int64
	Token                    domain.Token
	Chat                     int64
	Topic, UUID, Payload, MD string
}

// Outbox holds the degraded write path's events until they are relayed to
// the event log, oldest first; Relayed drops the ones appended there.
type Outbox interface {
	Pending(ctx context.Context, limit int) ([]OutboxEntry, error)
	Relayed(ctx context.Context, ids []int64) error
}

// EventQueue numbers and queues the api's writes. Append allocates the next
// number of the draft's scope (the chat's number of a ChatCreated, the
// message's of a MessageCreated, the version of a MessageEdited or
// MessageDeleted, whose message must exist), stamps it and its epoch on the
// event and queues the event, as one step: a number is never handed out
// without its event, nor an event queued under a number handed out twice
// (a scope's numbers follow one another from 1, on any number of api
// instances, but for the gap a fence leaves: see SequenceFences). A nil
// error means the event is durably queued. An unknown scope (an application
// the Sequencer never registered nor the system of record holds, a chat or
// message never numbered) is an error wrapping domain.ErrNotFound.
//
// With an idempotency key, the same step records it: a later Append with the
// same key and fingerprint queues nothing and returns the event first queued
// (its number and time), with replayed true; with another fingerprint it is
// domain.ErrIdempotencyKeyReused. A retry never takes a second number.
type EventQueue interface {
	Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (ev domain.Event, replayed bool, err error)
}

// WriteAdmission decides whether an application's write may be queued now.
// It refuses (domain.ErrOverloaded) while the queue that write would join is
// too far behind, so that a burst the workers cannot follow is pushed back
// to the clients rather than piled up in the queue until it is full.
type WriteAdmission interface {
	Admit(ctx context.Context, token domain.Token) error
}

// Projection applies events to the system of record. ApplyEvents is
// idempotent: applying an event again, or an older edit after a newer one,
// changes nothing. It adds what it inserts to the counters in the same
// transaction as the rows, and returns the applications and chats whose
// counters it could not account for exactly (a batch that met rows already
// there), for RefreshCounts. A batch that fails may have been applied in
// part (an application's events are applied together, or not at all):
// applying it again completes it.
type Projection interface {
	ApplyEvents(ctx context.Context, events []domain.Event) (domain.Touched, error)
}

// Counters recomputes chats_count and messages_count from the rows.
type Counters interface {
	// RefreshCounts recomputes the counters of the given applications and chats exactly.
	// It costs a count of their rows: it is for the rare batches ApplyEvents could not account for.
	RefreshCounts(ctx context.Context, touched domain.Touched) error
	// ReconcileCounts recomputes every counter that differs from its rows.
	ReconcileCounts(ctx context.Context) (fixed int, err error)
}

// SearchIndex is the full-text index of messages.
type SearchIndex interface {
	// IndexMessages adds or replaces messages; a message already indexed at a
	// newer version keeps it, so applying an older event changes nothing.
	IndexMessages(ctx context.Context, msgs []domain.IndexedMessage) error
	// Search finds the chat's messages that contain every term.
	Search(ctx context.Context, token domain.Token, chat int64, q domain.SearchQuery, page domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], error)
}

// SearchFallback answers searches from the system of record while the index is down.
type SearchFallback interface {
	SearchMessages(ctx context.Context, token domain.Token, chat int64, q domain.SearchQuery, page domain.PageRequest[domain.SearchCursor]) (domain.Page[domain.Hit], error)
}

// MessageScanner walks every persisted message, for rebuilding and repairing the index.
// after is an opaque position: 0 to start, then the returned next.
type MessageScanner interface {
	ScanMessages(ctx context.Context, after int64, limit int, updatedSince time.Time) (msgs []domain.IndexedMessage, next int64, err error)
}

// RateLimiter counts requests against a per-application budget (kind
// "write" or "read"), shared by every api instance.
type RateLimiter interface {
	Allow(ctx context.Context, token domain.Token, kind string, rate, burst int) (RateLimit, error)
}

// RateLimit is a rate limiter's answer for one request.
type RateLimit struct {
	Allowed    bool
	Remaining  int           // requests left in the burst after this one
	RetryAfter time.Duration // when denied: until one request is allowed again
	ResetAfter time.Duration // until the whole burst is available again
}

// IdempotencyClaims keeps the Idempotency-Keys of writes that take no number
// to record their key with (creating an application). Keys are kept a day.
type IdempotencyClaims interface {
	// Claim starts a request under key: "" for a first request (now in
	// progress); the result recorded when the request with this key and
	// fingerprint completed; domain.ErrIdempotencyKeyReused for another
	// fingerprint; domain.ErrIdempotencyKeyInUse while the first is in progress.
	Claim(ctx context.Context, key, fingerprint string) (result string, err error)
	// Complete records the result of the claimed request.
	Complete(ctx context.Context, key, fingerprint, result string) error
	// Release forgets a claim whose request failed, so that it can be retried.
	Release(ctx context.Context, key string) error
}

// ReadCache keeps the answers of a chat's reads (the chat, its messages, its
// pages) under the chat's current generation. Invalidate starts a new
// generation, so everything cached about the chat before is never found
// again, including what a read that began before the change stores after
// it: a Store always lands under the generation its Lookup saw.
type ReadCache interface {
	// Lookup finds key among the chat's entries. On a miss, slot names where
	// Store puts the answer read from the store ("" when nothing may be
	// stored, such as when the cache cannot be reached).
	Lookup(ctx context.Context, chat domain.ChatKey, key string) (value []byte, slot string, hit bool)
	Store(ctx context.Context, slot string, value []byte)
	// Invalidate drops everything cached about the chats; it is called after
	// their changes are committed, and its error means it may not have.
	Invalidate(ctx context.Context, chats []domain.ChatKey) error
}

// MessageNumbers tells which message numbers of a chat are taken in the
// system of record: persisted, deleted ones included. A number handed out
// but not taken yet is still on its way (or was skipped by a fence).
type MessageNumbers interface {
	TakenNumbers(ctx context.Context, token domain.Token, chat, after int64, limit int) ([]int64, error)
}

// LiveLog is the log of every chat's message events, in the order their
// numbers and versions were handed out (the sequencer appends an event in
// the same atomic step that numbers it, so a chat's part of the log has no
// holes and no reordering). Every api instance tails it once and fans it
// out to its own streams.
type LiveLog interface {
	// Tail calls fn with each event appended from now on, in log order,
	// until ctx ends.
	Tail(ctx context.Context, fn func(domain.LiveEvent)) error
	// Since returns the chat's events after the position, in log order,
	// or domain.ErrPositionGone when the log no longer reaches back there.
	// A chat number of 0 is every chat of the application (whose events
	// share one order: a user's stream resumes all their chats at once).
	Since(ctx context.Context, chat domain.ChatKey, after string) ([]domain.LiveEvent, error)
	// Creation finds the creation of message number of the chat in the log,
	// reading back from its end: a message not persisted yet is there (the
	// log keeps what the workers have not applied). found is false when it
	// is not there, or further back than the log reads for it.
	Creation(ctx context.Context, chat domain.ChatKey, number int64) (e domain.MessageCreated, found bool, err error)
	// Head is a position no later than where the log stands for the
	// application: every event appended after Head returns comes after it.
	Head(ctx context.Context, app domain.Token) (string, error)
	// Before tells whether position a comes before position b.
	Before(a, b string) bool
	// Valid tells whether s is a position of this log's form.
	Valid(s string) bool
}

// WebhookStore keeps an application's webhook endpoints and their delivery
// logs. An endpoint's signing secret is written once, with it, and never
// read back through this port.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, token domain.Token, e domain.WebhookEndpoint, secret string) error
	Webhooks(ctx context.Context, token domain.Token) ([]domain.WebhookEndpoint, error)
	// DeleteWebhook removes the endpoint and what it had still to deliver;
	// an endpoint the application does not have is domain.ErrNotFound.
	DeleteWebhook(ctx context.Context, token domain.Token, id string) error
	// WebhookDeliveries pages the endpoint's delivery log, newest first,
	// from after the delivery of event after ("": the newest).
	WebhookDeliveries(ctx context.Context, token domain.Token, id, after string, limit int) (domain.Page[domain.WebhookDelivery], error)
	// ReplayWebhook sends again (from now, in order) every delivery of the
	// endpoint after the position, and enables the endpoint if it was
	// disabled. It returns how many deliveries it will send.
	ReplayWebhook(ctx context.Context, token domain.Token, id, after string, now time.Time) (int, error)
}

// WebhookURLs checks a receiver's URL before it is registered (a
// domain.ValidationError when it may not be sent to).
type WebhookURLs interface {
	CheckURL(ctx context.Context, raw string) error
}

// EventFeed is every event of an application that webhooks carry, in its
// log's order, each at its position (domain.ValidEventPosition's form).
type EventFeed interface {
	// Events returns up to limit events after the position, none that
	// could still be preceded by one not yet in the feed.
	Events(ctx context.Context, token domain.Token, after string, limit int) ([]domain.FeedEvent, error)
}
