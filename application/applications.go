package application

import (
	"context"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Applications creates, reads, changes and lists applications, and
// authenticates the requests made to them (see access.go).
type Applications struct {
	store  ports.ApplicationStore
	seq    ports.Sequencer
	clock  ports.Clock
	claims ports.IdempotencyClaims
	access ports.ApplicationAccess
	tokens ports.UserTokens
	// grace is how long a rotated-out secret keeps working.
	grace time.Duration
}

func NewApplications(store ports.ApplicationStore, seq ports.Sequencer, clock ports.Clock, claims ports.IdempotencyClaims,
	access ports.ApplicationAccess, tokens ports.UserTokens, grace time.Duration) *Applications {
	return &Applications{store: store, seq: seq, clock: clock, claims: claims, access: access, tokens: tokens, grace: grace}
}

// Created is a new application and its secret, which is shown once: a
// retry of the creation (the same Idempotency-Key) gets the application
// without it (a secret is then had by rotation).
type Created struct {
	domain.Application
	Secret string
}

// Create stores a new application under a fresh token, with a fresh
// secret. With an idempotency key, a retry gets the application the first
// request made.
func (u *Applications) Create(ctx context.Context, rawName string, idem domain.Idempotency) (Created, error) {
	name, err := domain.NewName(rawName)
	if err != nil {
		return Created{}, err
	}
	if idem.Key == "" || u.claims == nil {
		return u.create(ctx, name, domain.Idempotency{})
	}
	done, err := u.claims.Claim(ctx, idem.Key, idem.Fingerprint)
	if err != nil {
		return Created{}, err
	}
	if done != "" {
		app, err := u.store.Application(ctx, domain.Token(done))
		return Created{Application: app}, err
	}
	// The claim is new, or Redis lost it: the key kept with the row tells.
	var out Created
	app, fp, found, err := u.store.ApplicationByKey(ctx, idem.Key)
	switch {
	case err == nil && found && fp != idem.Fingerprint:
		err = domain.ErrIdempotencyKeyReused
	case err == nil && found:
		out.Application = app
	case err == nil && !found:
		out, err = u.create(ctx, name, idem)
	}
	if err != nil {
		_ = u.claims.Release(ctx, idem.Key)
		return Created{}, err
	}
	if err := u.claims.Complete(ctx, idem.Key, idem.Fingerprint, string(out.Token)); err != nil {
		return Created{}, err
	}
	return out, nil
}

func (u *Applications) create(ctx context.Context, name domain.Name, idem domain.Idempotency) (Created, error) {
	now := u.clock.Now()
	secret, hash := domain.NewSecret()
	app := domain.Application{Token: domain.NewToken(), Name: name, CreatedAt: now, UpdatedAt: now,
		Access: domain.AppAccess{Mode: domain.AccessOpen, Current: hash}}
	// The sequence first: a sequencer that finds a stored application without
	// its sequence takes it for a data loss and fences it (numbering resumes
	// after a gap). A sequence whose store write then fails names a token
	// nobody was given.
	if err := u.seq.RegisterApplication(ctx, app.Token); err != nil {
		return Created{}, err
	}
	if err := u.store.CreateApplicationKeyed(ctx, app, idem); err != nil {
		return Created{}, err
	}
	// Best effort: without it, the first request loads it from the store.
	_ = u.access.Store(ctx, app.Token, app.Access)
	return Created{Application: app, Secret: secret}, nil
}

// Get reads one application.
func (u *Applications) Get(ctx context.Context, rawToken string) (domain.Application, error) {
	token, err := domain.ParseToken(rawToken)
	if err != nil {
		return domain.Application{}, err
	}
	return u.store.Application(ctx, token)
}

// List pages through every application, by token. Operators only: the
// caller checks the credentials.
// after is the last token of the previous page ("" for the first).
func (u *Applications) List(ctx context.Context, after domain.Token, limit int) (domain.Page[domain.Application], error) {
	return u.store.Applications(ctx, domain.PageRequest[domain.Token]{After: after, Limit: limit})
}
