package application

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Lifecycle takes the requests of an application's data lifecycle (API.md
// "Data lifecycle"): each records a job that JobRunner carries out in the
// background, and answers at once.
type Lifecycle struct {
	jobs   ports.JobStore
	access ports.ApplicationAccess
	clock  ports.Clock
	// settle: how long a deletion's job waits before it starts, so that
	// the writes acknowledged just before the deletion are persisted and
	// indexed first, and removed with the rest rather than after it.
	settle time.Duration
}

func NewLifecycle(jobs ports.JobStore, access ports.ApplicationAccess, clock ports.Clock, settle time.Duration) *Lifecycle {
	return &Lifecycle{jobs: jobs, access: access, clock: clock, settle: settle}
}

// DeleteApplication refuses the application from the answer on, on every
// api instance (its access is kept as deleted, as a change of secret is
// kept: forgotten first, stored after the store's commit), and records the
// job that removes its data.
func (u *Lifecycle) DeleteApplication(ctx context.Context, caller domain.Caller) (domain.Job, error) {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return domain.Job{}, err
	}
	now := u.clock.Now()
	job := domain.Job{ID: domain.NewJobID(), Kind: domain.JobDeleteApplication, Token: caller.App, State: domain.JobPending,
		NotBefore: now.Add(u.settle), CreatedAt: now, UpdatedAt: now}
	if err := u.access.Forget(ctx, caller.App); err != nil {
		return domain.Job{}, err
	}
	if err := u.jobs.DeleteApplication(ctx, caller.App, job); err != nil {
		return domain.Job{}, err
	}
	if err := u.access.Store(ctx, caller.App, domain.DeletedAccess()); err != nil {
		return domain.Job{}, err
	}
	return job, nil
}
