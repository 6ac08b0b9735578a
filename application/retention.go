package application

import (
	"context"
	"errors"
	"time"

	"github.com/chatsvc/chat/domain"
)

// The retention sweep (a JobRunner job that comes back every
// CHAT_RETENTION_SWEEP_INTERVAL): every message older than its chat's
// retention (or else its application's) is deleted as a DELETE deletes
// it, through the queue (a tombstone, gone from search, counters, and
// message.deleted with reason "retention" on live streams and webhooks),
// in batches of cfg.Batch with cfg.Pause between, so that it takes a
// bounded share of the write path.

// policyPage: how many policies, or chats of an application, are read at once.
const policyPage = 200

// EnsureSweep records the retention sweep's job, once.
func (r *JobRunner) EnsureSweep(ctx context.Context) error {
	now := r.Clock.Now()
	return r.Jobs.EnsureJob(ctx, domain.Job{ID: domain.RetentionSweepID, Kind: domain.JobRetentionSweep, State: domain.JobPending,
		NotBefore: now, CreatedAt: now, UpdatedAt: now})
}

func (r *JobRunner) sweep(ctx context.Context, job *domain.Job) error {
	now := r.sweepClock.Now()
	var after domain.ChatKey
	for {
		policies, err := r.Retention.RetentionPolicies(ctx, after, policyPage)
		if err != nil {
			return err
		}
		for _, p := range policies {
			if err := r.sweepPolicy(ctx, job, p, now); err != nil {
				return err
			}
		}
		if len(policies) < policyPage {
			return nil
		}
		last := policies[len(policies)-1]
		after = domain.ChatKey{Token: last.Token, Number: last.Chat}
	}
}

// sweepPolicy sweeps a chat's policy's chat, or an application's policy's
// chats that have none of their own.
func (r *JobRunner) sweepPolicy(ctx context.Context, job *domain.Job, p domain.RetentionPolicy, now time.Time) error {
	if p.Chat != 0 {
		return r.sweepChat(ctx, job, domain.ChatKey{Token: p.Token, Number: p.Chat}, p.Cutoff(now))
	}
	for after := int64(0); ; {
		chats, err := r.Retention.ChatNumbers(ctx, p.Token, after, policyPage)
		if err != nil {
			return err
		}
		for _, chat := range chats {
			own, err := r.Retention.ChatRetention(ctx, p.Token, chat)
			if err != nil {
				return err
			}
			if own != 0 {
				continue // swept by its own policy
			}
			if err := r.sweepChat(ctx, job, domain.ChatKey{Token: p.Token, Number: chat}, p.Cutoff(now)); err != nil {
				return err
			}
		}
		if len(chats) < policyPage {
			return nil
		}
		after = chats[len(chats)-1]
	}
}

// sweepChat deletes the chat's messages created before cutoff, a batch at
// a time, from where the last sweep left the chat (numbers follow
// creation: the walk stops at the first message not expired).
func (r *JobRunner) sweepChat(ctx context.Context, job *domain.Job, chat domain.ChatKey, cutoff time.Time) error {
	for {
		numbers, next, done, err := r.Retention.ExpiredMessages(ctx, chat.Token, chat.Number, r.marks[chat], cutoff, r.cfg.Batch)
		if err != nil {
			return err
		}
		for _, n := range numbers {
			_, _, err := r.Queue.Append(ctx, domain.MessageDeleted{Token: chat.Token, Chat: chat.Number, Number: n,
				DeletedAt: r.sweepClock.Now(), Reason: domain.RetentionReason}, domain.Idempotency{})
			if err != nil && !errors.Is(err, domain.ErrNotFound) { // not found: deleted meanwhile, or its application
				return err
			}
		}
		r.marks[chat] = next
		if len(numbers) > 0 {
			if err := r.advance(ctx, job, len(numbers)); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}
