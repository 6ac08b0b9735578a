package application

import (
	"context"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Applications creates, reads, renames and lists applications.
type Applications struct {
	store  ports.ApplicationStore
	seq    ports.Sequencer
	clock  ports.Clock
	claims ports.IdempotencyClaims
}

func NewApplications(store ports.ApplicationStore, seq ports.Sequencer, clock ports.Clock, claims ports.IdempotencyClaims) *Applications {
	return &Applications{store: store, seq: seq, clock: clock, claims: claims}
}

// Create stores a new application under a fresh token. With an
// idempotency key, a retry gets the application the first request made.
func (u *Applications) Create(ctx context.Context, rawName string, idem domain.Idempotency) (domain.Application, error) {
	name, err := domain.NewName(rawName)
	if err != nil {
		return domain.Application{}, err
	}
	if idem.Key == "" || u.claims == nil {
		return u.create(ctx, name, domain.Idempotency{})
	}
	done, err := u.claims.Claim(ctx, idem.Key, idem.Fingerprint)
	if err != nil {
		return domain.Application{}, err
	}
	if done != "" {
		return u.store.Application(ctx, domain.Token(done))
	}
	// The claim is new, or Redis lost it: the key kept with the row tells.
	app, fp, found, err := u.store.ApplicationByKey(ctx, idem.Key)
	switch {
	case err == nil && found && fp != idem.Fingerprint:
		err = domain.ErrIdempotencyKeyReused
	case err == nil && !found:
		app, err = u.create(ctx, name, idem)
	}
	if err != nil {
		_ = u.claims.Release(ctx, idem.Key)
		return domain.Application{}, err
	}
	if err := u.claims.Complete(ctx, idem.Key, idem.Fingerprint, string(app.Token)); err != nil {
		return domain.Application{}, err
	}
	return app, nil
}

func (u *Applications) create(ctx context.Context, name domain.Name, idem domain.Idempotency) (domain.Application, error) {
	now := u.clock.Now()
	app := domain.Application{Token: domain.NewToken(), Name: name, CreatedAt: now, UpdatedAt: now}
	// The sequence first: a sequencer that finds a stored application without
	// its sequence takes it for a data loss and fences it (numbering resumes
	// after a gap). A sequence whose store write then fails names a token
	// nobody was given.
	if err := u.seq.RegisterApplication(ctx, app.Token); err != nil {
		return domain.Application{}, err
	}
	if err := u.store.CreateApplicationKeyed(ctx, app, idem); err != nil {
		return domain.Application{}, err
	}
	return app, nil
}

// Get reads one application.
func (u *Applications) Get(ctx context.Context, rawToken string) (domain.Application, error) {
	token, err := domain.ParseToken(rawToken)
	if err != nil {
		return domain.Application{}, err
	}
	return u.store.Application(ctx, token)
}

// Rename changes an application's name.
func (u *Applications) Rename(ctx context.Context, rawToken, rawName string) (domain.Application, error) {
	token, err := domain.ParseToken(rawToken)
	if err != nil {
		return domain.Application{}, err
	}
	name, err := domain.NewName(rawName)
	if err != nil {
		return domain.Application{}, err
	}
	return u.store.RenameApplication(ctx, token, name, u.clock.Now())
}

// List pages through every application, by token. Operators only: the
// caller checks the credentials.
// after is the last token of the previous page ("" for the first).
func (u *Applications) List(ctx context.Context, after domain.Token, limit int) (domain.Page[domain.Application], error) {
	return u.store.Applications(ctx, domain.PageRequest[domain.Token]{After: after, Limit: limit})
}
