package domain

import "time"

// AppAccess is what every request to an application is authenticated
// against: its mode and the hashes of its secrets. A zero Current is no
// secret yet (an application made before secrets existed); a zero Previous,
// or a PreviousUntil past, is no previous one.
type AppAccess struct {
	Mode              Access
	Current, Previous SecretHash
	PreviousUntil     time.Time
	// Deleted: the application was deleted; every request to it is a 404
	// from then on, whatever it carries.
	Deleted bool
}

// DeletedAccess is what is kept for a deleted application while its data
// is being removed.
func DeletedAccess() AppAccess { return AppAccess{Deleted: true} }

// OpenAccess is an application's access before anything is set: open, no secret.
func OpenAccess() AppAccess { return AppAccess{Mode: AccessOpen} }

// Authenticate turns the bearer credential of a request to app into its
// caller. Without one, an open application's path token suffices; a
// credential presented is checked in either mode, so that a client never
// believes a wrong secret works. User tokens are the application layer's to
// verify (ports.UserTokens).
func (a AppAccess) Authenticate(app Token, credential string, now time.Time) (Caller, error) {
	if a.Deleted {
		return Caller{}, &NotFoundError{Message: "application not found", Deleted: true}
	}
	if credential == "" {
		if a.Mode == AccessProtected {
			return Caller{}, ErrUnauthorized
		}
		return AppCaller(app), nil
	}
	if a.ValidSecret(credential, now) {
		return AppCaller(app), nil
	}
	return Caller{}, ErrUnauthorized
}

// ValidSecret says whether secret is the current one, or the previous one
// within its grace period. Both are compared, whatever the first answers,
// so the time taken tells nothing.
func (a AppAccess) ValidSecret(secret string, now time.Time) bool {
	current := !a.Current.IsZero() && a.Current.Matches(secret)
	previous := !a.Previous.IsZero() && a.Previous.Matches(secret) && now.Before(a.PreviousUntil)
	return current || previous
}

// Rotated makes hash the current secret; the current one stays valid as the
// previous until now+grace (an earlier previous ends at once).
func (a AppAccess) Rotated(hash SecretHash, now time.Time, grace time.Duration) AppAccess {
	a.Previous, a.PreviousUntil = a.Current, now.Add(grace)
	if a.Previous.IsZero() {
		a.PreviousUntil = time.Time{}
	}
	a.Current = hash
	return a
}

// WithoutPrevious ends the previous secret's grace period at once.
func (a AppAccess) WithoutPrevious() AppAccess {
	a.Previous, a.PreviousUntil = SecretHash{}, time.Time{}
	return a
}

// Switched sets the mode. Protected needs a secret: without one nobody
// could reach the application any more.
func (a AppAccess) Switched(mode Access) (AppAccess, error) {
	if mode == AccessProtected && a.Current.IsZero() {
		return a, &ValidationError{Field: "access", Reason: `"protected" needs a secret: create one first (POST /chat_applications/{token}/secrets)`}
	}
	a.Mode = mode
	return a, nil
}
