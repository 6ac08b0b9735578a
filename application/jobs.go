package application

import (
	"context"
	"fmt"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// JobRunner carries out the data lifecycle jobs (the worker's, or the
// embedded process's): it takes a due job from the store, runs it in
// bounded batches with a pause between them (so that it takes a small
// share of the database from the write path), and records its progress
// after each batch, which also extends its lease. A runner that stops
// leaves the job to be taken again once its lease runs out; every batch is
// idempotent, so taking it up again just carries on.
type JobRunner struct {
	JobDeps
	cfg JobConfig
	// progress hears how much each batch of a kind of job did (the metrics).
	progress func(kind domain.JobKind, n int)
	// sweepClock is the retention sweep's now (tests move it ahead).
	sweepClock ports.Clock
	// marks: how far the sweep walked each chat (numbers below are swept).
	marks map[domain.ChatKey]int64
}

// JobDeps are what the jobs work on.
type JobDeps struct {
	Jobs      ports.JobStore
	Purge     ports.ApplicationPurge
	Index     ports.IndexPurge
	Keys      ports.KeyPurge
	Retention ports.RetentionStore
	// Queue takes the retention sweep's deletions, as it takes a DELETE's.
	Queue ports.EventQueue
	Clock ports.Clock
}

// JobConfig bounds a job's batches.
type JobConfig struct {
	Batch int           // rows, documents or deletions a batch handles at most
	Pause time.Duration // between two batches
	Lease time.Duration // how long a runner holds a job without recording progress
	Sweep time.Duration // how often the retention sweep runs
}

func NewJobRunner(deps JobDeps, cfg JobConfig, progress func(kind domain.JobKind, n int)) *JobRunner {
	cfg.Batch = max(cfg.Batch, 1)
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	return &JobRunner{JobDeps: deps, cfg: cfg, progress: progress, sweepClock: deps.Clock, marks: map[domain.ChatKey]int64{}}
}

// WithSweepClock makes the retention sweep tell the time by clock.
func (r *JobRunner) WithSweepClock(clock ports.Clock) *JobRunner {
	r.sweepClock = clock
	return r
}

// RunDue runs the jobs that are due, one after another, until none is or
// ctx ends. A job that fails stays leased until its lease runs out, then
// is taken again.
func (r *JobRunner) RunDue(ctx context.Context) error {
	for ctx.Err() == nil {
		now := r.Clock.Now()
		job, found, err := r.Jobs.ClaimJob(ctx, now, now.Add(r.cfg.Lease))
		if err != nil || !found {
			return err
		}
		if err := r.run(ctx, &job); err != nil {
			return fmt.Errorf("job %s (%s): %w", job.ID, job.Kind, err)
		}
	}
	return ctx.Err()
}

func (r *JobRunner) run(ctx context.Context, job *domain.Job) error {
	if job.State == domain.JobPending {
		job.State, job.UpdatedAt = domain.JobRunning, r.Clock.Now()
	}
	if err := r.advance(ctx, job, 0); err != nil {
		return err
	}
	var err error
	switch job.Kind {
	case domain.JobDeleteApplication:
		err = r.deleteApplication(ctx, job)
	case domain.JobRetentionSweep:
		if err = r.sweep(ctx, job); err == nil { // it comes back
			now := r.Clock.Now()
			job.State, job.UpdatedAt, job.NotBefore = domain.JobPending, now, now.Add(r.cfg.Sweep)
			return r.Jobs.SaveJob(ctx, *job, time.Time{})
		}
	default:
		err = fmt.Errorf("unknown kind of job %q", job.Kind)
	}
	if err != nil {
		return err
	}
	now := r.Clock.Now()
	job.State, job.UpdatedAt, job.FinishedAt = domain.JobDone, now, now
	return r.Jobs.SaveJob(ctx, *job, time.Time{})
}

// advance records a batch's progress and extends the lease, then pauses.
// UpdatedAt moves only with progress: a job whose batches do nothing for
// long is stuck (the alert reads it).
func (r *JobRunner) advance(ctx context.Context, job *domain.Job, n int) error {
	job.Done += int64(n)
	now := r.Clock.Now()
	if n > 0 {
		job.UpdatedAt = now
		if r.progress != nil {
			r.progress(job.Kind, n)
		}
	}
	if err := r.Jobs.SaveJob(ctx, *job, now.Add(r.cfg.Lease)); err != nil {
		return err
	}
	if r.cfg.Pause <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(r.cfg.Pause)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// purgeChats: how many chats a round of a deletion lists.
const purgeChats = 16

// deleteApplication removes a deleted application's chats one by one (its
// documents from the index first, so that none outlives its row, then its
// messages and its own row), then its other rows and its row, then its
// keys. A chat a late event wrote meanwhile is found by the next round.
func (r *JobRunner) deleteApplication(ctx context.Context, job *domain.Job) error {
	for {
		chats, err := r.Purge.PurgeChats(ctx, job.Token, purgeChats)
		if err != nil {
			return err
		}
		for _, chat := range chats {
			if err := r.purgeChat(ctx, job, chat); err != nil {
				return err
			}
		}
		if len(chats) > 0 {
			continue
		}
		n, done, err := r.Purge.PurgeRest(ctx, job.Token, r.cfg.Batch)
		if err != nil {
			return err
		}
		if err := r.advance(ctx, job, n); err != nil {
			return err
		}
		if done {
			break
		}
	}
	if r.Keys == nil {
		return nil
	}
	n, err := r.Keys.PurgeApplicationKeys(ctx, job.Token)
	if err != nil {
		return err
	}
	return r.advance(ctx, job, n)
}

func (r *JobRunner) purgeChat(ctx context.Context, job *domain.Job, chat int64) error {
	for {
		n, err := r.Index.PurgeChatDocuments(ctx, job.Token, chat, r.cfg.Batch)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if err := r.advance(ctx, job, n); err != nil {
			return err
		}
	}
	for {
		n, gone, err := r.Purge.PurgeChat(ctx, job.Token, chat, r.cfg.Batch)
		if err != nil {
			return err
		}
		if err := r.advance(ctx, job, n); err != nil {
			return err
		}
		if gone {
			return nil
		}
	}
}
