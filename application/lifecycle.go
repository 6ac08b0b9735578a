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
	jobs      ports.JobStore
	access    ports.ApplicationAccess
	chats     ports.ChatReader
	retention ports.RetentionStore
	clock     ports.Clock
	// settle: how long a deletion's job waits before it starts, so that
	// the writes acknowledged just before the deletion are persisted and
	// indexed first, and removed with the rest rather than after it.
	settle time.Duration
}

func NewLifecycle(jobs ports.JobStore, access ports.ApplicationAccess, chats ports.ChatReader, retention ports.RetentionStore,
	clock ports.Clock, settle time.Duration) *Lifecycle {
	return &Lifecycle{jobs: jobs, access: access, chats: chats, retention: retention, clock: clock, settle: settle}
}

// SetChatRetention sets how long the chat's messages are kept, over its
// application's (days 0: the application's applies again).
func (u *Lifecycle) SetChatRetention(ctx context.Context, caller domain.Caller, chat, days int64) error {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return err
	}
	if days != 0 {
		if err := domain.CheckRetentionDays(days); err != nil {
			return err
		}
	}
	if err := u.chats.ChatExists(ctx, caller.App, chat); err != nil {
		return err
	}
	return u.retention.SetChatRetention(ctx, caller.App, chat, days)
}

// ChatRetention is the chat's own retention (0: its application's applies).
func (u *Lifecycle) ChatRetention(ctx context.Context, caller domain.Caller, chat int64) (int64, error) {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return 0, err
	}
	if err := u.chats.ChatExists(ctx, caller.App, chat); err != nil {
		return 0, err
	}
	return u.retention.ChatRetention(ctx, caller.App, chat)
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
