package domain

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Job is a data lifecycle job (API.md "Data lifecycle"): work on an
// application's data that runs in the background, in small batches, off the
// write path. Its state is kept in the system of record, so that a job
// whose runner stops is taken up again, by it after a restart or by
// another runner, from where its batches left it.
type Job struct {
	ID    string
	Kind  JobKind
	Token Token
	State JobState
	// Done counts what the job has handled so far (for a deletion: rows,
	// keys and documents removed).
	Done  int64
	Error string
	// NotBefore: no runner takes the job earlier.
	NotBefore  time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time // zero until it is done
}

// JobKind names what a job does.
type JobKind string

// JobDeleteApplication removes everything of an application the
// request already hid.
const JobDeleteApplication JobKind = "application.delete"

// JobRetentionSweep deletes the messages that outlived their retention.
// It is one job that comes back: pending again after each run, due once
// the sweep interval has passed.
const JobRetentionSweep JobKind = "retention.sweep"

// RetentionSweepID is the retention sweep's job.
const RetentionSweepID = "job_retention_sweep"

// JobState is where a job stands.
type JobState string

// A job is pending until a runner first takes it, running until its
// last batch, then done.
const (
	JobPending JobState = "pending"
	JobRunning JobState = "running"
	JobDone    JobState = "done"
)

// NewJobID draws a job's public id.
func NewJobID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails on supported platforms
	return "job_" + hex.EncodeToString(b)
}
