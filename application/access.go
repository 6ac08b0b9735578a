package application

import (
	"context"

	"github.com/chatsvc/chat/domain"
)

// Authenticate turns a request's path token and bearer credential ("" for
// none) into its caller: the application itself (its secret, or in an open
// application nothing), or one of its users (a user token, verified in
// process with the secrets' hashes). The application's access comes from
// ports.ApplicationAccess (no store on the way, in steady state); when it
// has none (an application made before, or Redis lost it, or is down) from
// the store.
func (u *Applications) Authenticate(ctx context.Context, rawToken, credential string) (domain.Caller, error) {
	token, err := domain.ParseToken(rawToken)
	if err != nil {
		return domain.Caller{}, err
	}
	access, err := u.accessOf(ctx, token)
	if err != nil {
		return domain.Caller{}, err
	}
	if access.Deleted {
		return domain.Caller{}, &domain.NotFoundError{Message: "application not found", Deleted: true}
	}
	if credential != "" && !domain.LooksLikeSecret(credential) {
		return u.tokens.VerifyUser(credential, token, access)
	}
	return access.Authenticate(token, credential, u.clock.Now())
}

func (u *Applications) accessOf(ctx context.Context, token domain.Token) (domain.AppAccess, error) {
	access, found, err := u.access.Access(ctx, token)
	if err == nil && found {
		return access, nil
	}
	app, serr := u.store.Application(ctx, token)
	if serr != nil {
		return domain.AppAccess{}, serr
	}
	if err == nil {
		_ = u.access.Fill(ctx, token, app.Access) // best effort: the next request loads it again
	}
	return app.Access, nil
}

// Change is what a PATCH or PUT of an application sets; nil leaves as is.
type Change struct {
	Name   *string
	Access *string
	// Retention in days; 0 keeps messages forever.
	Retention *int64
}

// Update renames an application and switches its access.
func (u *Applications) Update(ctx context.Context, caller domain.Caller, ch Change) (domain.Application, error) {
	var name *domain.Name
	var mode *domain.Access
	if ch.Name != nil {
		n, err := domain.NewName(*ch.Name)
		if err != nil {
			return domain.Application{}, err
		}
		name = &n
	}
	if ch.Access != nil {
		m, err := domain.ParseAccess(*ch.Access)
		if err != nil {
			return domain.Application{}, err
		}
		mode = &m
	}
	if ch.Retention != nil && *ch.Retention != 0 {
		if err := domain.CheckRetentionDays(*ch.Retention); err != nil {
			return domain.Application{}, err
		}
	}
	return u.change(ctx, caller, func(app domain.Application) (domain.Application, error) {
		if ch.Retention != nil {
			app.RetentionDays = *ch.Retention
		}
		if name != nil {
			app.Name = *name
		}
		if mode != nil {
			a, err := app.Access.Switched(*mode)
			if err != nil {
				return app, err
			}
			app.Access = a
		}
		return app, nil
	})
}

// RotateSecret gives the application a new secret, returned once; the
// current one stays valid for the grace period. An application made before
// secrets existed gets its first one.
func (u *Applications) RotateSecret(ctx context.Context, caller domain.Caller) (string, error) {
	secret, hash := domain.NewSecret()
	_, err := u.change(ctx, caller, func(app domain.Application) (domain.Application, error) {
		app.Access = app.Access.Rotated(hash, u.clock.Now(), u.grace)
		return app, nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// RevokePrevious ends the previous secret's grace period at once.
func (u *Applications) RevokePrevious(ctx context.Context, caller domain.Caller) error {
	_, err := u.change(ctx, caller, func(app domain.Application) (domain.Application, error) {
		app.Access = app.Access.WithoutPrevious()
		return app, nil
	})
	return err
}

// change commits a change of the application to the store and then keeps
// its access for every api instance: forgotten first, so that if keeping it
// fails the next request loads the change from the store.
func (u *Applications) change(ctx context.Context, caller domain.Caller, fn func(domain.Application) (domain.Application, error)) (domain.Application, error) {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return domain.Application{}, err
	}
	if err := u.access.Forget(ctx, caller.App); err != nil {
		return domain.Application{}, err
	}
	now := u.clock.Now()
	app, err := u.store.UpdateApplication(ctx, caller.App, func(app domain.Application) (domain.Application, error) {
		app, err := fn(app)
		app.UpdatedAt = now
		return app, err
	})
	if err != nil {
		return domain.Application{}, err
	}
	if err := u.access.Store(ctx, caller.App, app.Access); err != nil {
		return domain.Application{}, err
	}
	return app, nil
}
