package domain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// ErrNotFound is wrapped by every "no such application, chat or message" error.
var ErrNotFound = errors.New("not found")

// ErrUnavailable is wrapped when a dependency a request needs is down.
var ErrUnavailable = errors.New("dependency unavailable")

// ErrInvalidEvent marks an event that can never be applied; the worker sends it
// to the dead-letter stream instead of retrying it forever.
var ErrInvalidEvent = errors.New("invalid event")

// ErrNumberConflict marks an event whose number may have been handed out
// again after the sequencer lost its state: it was allocated in an older
// epoch of its sequence, above the point the sequence was re-seeded from, or
// the system of record already holds another event under its number. It can
// never be applied safely (it wraps ErrInvalidEvent, so it is dead-lettered),
// and it is an alarm: an operator must look at it.
var ErrNumberConflict = fmt.Errorf("%w: number conflict", ErrInvalidEvent)

// ErrBusy says that the request's scope is being made safe again (a sequence
// re-seeded after the sequencer lost its state) and the request can be
// retried in a moment. It wraps ErrUnavailable, so it maps to 503.
var ErrBusy = fmt.Errorf("%w: numbering is being restored", ErrUnavailable)

// ErrOverloaded: writes are queued faster than the workers apply them, and
// the queue of the application's partition is as long as it may grow; the
// write was not queued. It wraps ErrUnavailable, so it maps to 503.
var ErrOverloaded = fmt.Errorf("%w: the write queue is full", ErrUnavailable)

// ErrIdempotencyKeyReused: an Idempotency-Key came back with another request.
var ErrIdempotencyKeyReused = errors.New("idempotency key reused with another request")

// ErrIdempotencyKeyInUse: the first request with this Idempotency-Key is still being served.
var ErrIdempotencyKeyInUse = errors.New("idempotency key in use by a request in progress")

// MalformedError is input that cannot be read at all, not a field's content
// (a path number that is not a positive integer, a bad query, a search
// query's syntax).
type MalformedError struct{ Reason string }

func (e *MalformedError) Error() string { return e.Reason }

// TooLargeError is a value over its size limit.
type TooLargeError struct {
	What  string
	Limit int
}

func (e *TooLargeError) Error() string {
	return e.What + " is larger than " + strconv.Itoa(e.Limit) + " bytes"
}

// ValidationError says which field of a request is wrong and why.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// ErrDeleted is wrapped by the not-found error of a message that was
// deleted, as against one not persisted yet: an edit of the first is refused,
// an edit of the second is queued behind its creation.
var ErrDeleted = errors.New("deleted")

// NotFoundError says what was not found, in words fit for a client.
type NotFoundError struct {
	Message string
	// Deleted: it was there and is gone for good (ErrDeleted).
	Deleted bool
}

func (e *NotFoundError) Error() string { return e.Message }
func (e *NotFoundError) Is(target error) bool {
	return target == ErrNotFound || e.Deleted && target == ErrDeleted
}

// NotFoundf builds a NotFoundError; errors.Is(err, ErrNotFound) holds for it.
func NotFoundf(format string, args ...any) error {
	return &NotFoundError{Message: fmt.Sprintf(format, args...)}
}

// AsUnavailable is what an adapter returns for its dependency's error: nil,
// the caller giving up (a cancelled context) and an error the domain
// already names (not found) pass as they are; anything else is the
// dependency being unavailable. It is the one place that decides which.
func AsUnavailable(dependency string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, ErrNotFound) {
		return err
	}
	return Unavailable(dependency, err)
}

// Unavailable wraps a dependency failure so that it maps to 503, keeping the
// cause for the logs.
func Unavailable(dependency string, cause error) error {
	return &UnavailableError{Dependency: dependency, Cause: cause}
}

// UnavailableError names the dependency that failed.
type UnavailableError struct {
	Dependency string
	Cause      error
}

func (e *UnavailableError) Error() string {
	return e.Dependency + " unavailable: " + e.Cause.Error()
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Cause} }

// ErrTooManyStreams: a live stream beyond the cap of the application or of
// the instance.
var ErrTooManyStreams = errors.New("too many open streams")

// ErrPositionGone: a live stream was asked to resume from a position the
// event log no longer reaches back to (or that another run of the service
// gave); the client reloads what it shows and follows from now.
var ErrPositionGone = errors.New("position no longer in the event log")
