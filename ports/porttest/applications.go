package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/chatsvc/chat/domain"
)

// ApplicationStoreContract runs the ports.ApplicationStore suite:
// applications created, read, renamed and listed in pages.
func ApplicationStoreContract(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreCases(t, newStore,
		storeCase{"applications: create, read, rename, list", applicationsCreateReadRenameList},
		storeCase{"an application's idempotency key is kept with it for a day", applicationKeysAreKept},
	)
}

func applicationsCreateReadRenameList(t *testing.T, s Store) {
	ctx := context.Background()
	a := newApp(t, s, "first")
	got, err := s.Application(ctx, a.Token)
	must(t, err)
	if got.Name.String() != "first" || !got.CreatedAt.Equal(t0) || got.ChatsCount != 0 {
		t.Fatalf("read back %+v", got)
	}
	name, _ := domain.NewName("renamed")
	later := t0.Add(time.Hour)
	rename := func(a domain.Application) (domain.Application, error) {
		a.Name, a.UpdatedAt = name, later
		return a, nil
	}
	got, err = s.UpdateApplication(ctx, a.Token, rename)
	must(t, err)
	if got.Name.String() != "renamed" || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(t0) {
		t.Fatalf("after rename %+v", got)
	}
	_, err = s.UpdateApplication(ctx, domain.NewToken(), rename)
	wantNotFound(t, err)
	// The access and the secrets' hashes are kept, and a refused change writes nothing.
	_, h1 := domain.NewSecret()
	_, h2 := domain.NewSecret()
	until := t0.Add(2 * time.Hour)
	want := domain.AppAccess{Mode: domain.AccessProtected, Current: h1, Previous: h2, PreviousUntil: until}
	_, err = s.UpdateApplication(ctx, a.Token, func(a domain.Application) (domain.Application, error) {
		a.Access = want
		return a, nil
	})
	must(t, err)
	_, err = s.UpdateApplication(ctx, a.Token, func(a domain.Application) (domain.Application, error) {
		a.Access = domain.OpenAccess()
		return a, domain.ErrForbidden
	})
	if err != domain.ErrForbidden {
		t.Fatalf("a refused change: %v", err)
	}
	got, err = s.Application(ctx, a.Token)
	must(t, err)
	if got.Access.Mode != want.Mode || got.Access.Current != h1 || got.Access.Previous != h2 || !got.Access.PreviousUntil.Equal(until) {
		t.Fatalf("access read back %+v, want %+v", got.Access, want)
	}
	fresh, err := s.Application(ctx, newApp(t, s, "fresh").Token)
	must(t, err)
	if fresh.Access != domain.OpenAccess() {
		t.Fatalf("a new application's access: %+v", fresh.Access)
	}
	_, err = s.Application(ctx, domain.NewToken())
	wantNotFound(t, err)
	for i := 0; i < 3; i++ { // with first and fresh, five
		newApp(t, s, "more")
	}
	var seen []domain.Token
	page := domain.PageRequest[domain.Token]{Limit: 2}
	for {
		p, err := s.Applications(ctx, page)
		must(t, err)
		for _, a := range p.Items {
			seen = append(seen, a.Token)
		}
		if !p.HasMore {
			break
		}
		page.After = p.Items[len(p.Items)-1].Token
	}
	if len(seen) != 5 {
		t.Fatalf("listed %d applications over pages, want 5", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("applications not in token order: %v", seen)
		}
	}
}

func applicationKeysAreKept(t *testing.T, s Store) {
	ctx := context.Background()
	name, _ := domain.NewName("keyed")
	now := time.Now().UTC().Truncate(time.Microsecond)
	app := domain.Application{Token: domain.NewToken(), Name: name, CreatedAt: now, UpdatedAt: now}
	must(t, s.CreateApplicationKeyed(ctx, app, domain.Idempotency{Key: "app-key", Fingerprint: "fp"}))
	got, fp, found, err := s.ApplicationByKey(ctx, "app-key")
	must(t, err)
	if !found || fp != "fp" || got.Token != app.Token || got.Name.String() != "keyed" {
		t.Fatalf("ApplicationByKey = %+v, %q, %v; want %s, fp", got, fp, found, app.Token)
	}
	if _, _, found, err := s.ApplicationByKey(ctx, "never"); err != nil || found {
		t.Fatalf("a key never used: found %v, %v", found, err)
	}
	newApp(t, s, "keyless")
	old := domain.Application{Token: domain.NewToken(), Name: name, CreatedAt: now.Add(-domain.IdempotencyTTL - time.Minute)}
	old.UpdatedAt = old.CreatedAt
	must(t, s.CreateApplicationKeyed(ctx, old, domain.Idempotency{Key: "old-key", Fingerprint: "fp"}))
	if _, _, found, err := s.ApplicationByKey(ctx, "old-key"); err != nil || found {
		t.Fatalf("a key past its day: found %v, %v", found, err)
	}
}
