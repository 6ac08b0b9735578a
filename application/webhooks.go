package application

import (
	"context"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Webhooks registers, lists and removes an application's webhook
// endpoints and pages their delivery logs. Deliveries themselves are the
// webhook adapter's: they follow the event log, not a request.
type Webhooks struct {
	store  ports.WebhookStore
	urls   ports.WebhookURLs
	clock  ports.Clock
	secret func() string
}

// NewWebhooks: secret draws an endpoint's signing secret.
func NewWebhooks(store ports.WebhookStore, urls ports.WebhookURLs, clock ports.Clock, secret func() string) *Webhooks {
	return &Webhooks{store: store, urls: urls, clock: clock, secret: secret}
}

// Every use of an application's webhooks is the application's own (its
// secret, or the token of an open application): never one of its users'.

// Register adds an endpoint receiving the events of the types asked (none:
// all). It returns the endpoint and its signing secret, which nothing
// returns again.
func (u *Webhooks) Register(ctx context.Context, caller domain.Caller, url string, events []string) (domain.WebhookEndpoint, string, error) {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return domain.WebhookEndpoint{}, "", err
	}
	filter, err := domain.WebhookEventFilter(events)
	if err != nil {
		return domain.WebhookEndpoint{}, "", err
	}
	if err := u.urls.CheckURL(ctx, url); err != nil {
		return domain.WebhookEndpoint{}, "", err
	}
	e := domain.WebhookEndpoint{ID: domain.NewWebhookID(), URL: url, Events: filter, CreatedAt: u.clock.Now()}
	secret := u.secret()
	if err := u.store.CreateWebhook(ctx, caller.App, e, secret); err != nil {
		return domain.WebhookEndpoint{}, "", err
	}
	return e, secret, nil
}

// List returns the application's endpoints, oldest first.
func (u *Webhooks) List(ctx context.Context, caller domain.Caller) ([]domain.WebhookEndpoint, error) {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return nil, err
	}
	return u.store.Webhooks(ctx, caller.App)
}

// Remove deletes an endpoint; nothing more is delivered to it.
func (u *Webhooks) Remove(ctx context.Context, caller domain.Caller, id string) error {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return err
	}
	return u.store.DeleteWebhook(ctx, caller.App, id)
}

// Deliveries pages an endpoint's delivery log, newest first.
func (u *Webhooks) Deliveries(ctx context.Context, caller domain.Caller, id, after string, limit int) (domain.Page[domain.WebhookDelivery], error) {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return domain.Page[domain.WebhookDelivery]{}, err
	}
	return u.store.WebhookDeliveries(ctx, caller.App, id, after, limit)
}

// Replay sends again every delivery of the endpoint after the event
// position after, and enables the endpoint if it was disabled.
func (u *Webhooks) Replay(ctx context.Context, caller domain.Caller, id, after string) (int, error) {
	if err := caller.MayApp(domain.ActManageApp); err != nil {
		return 0, err
	}
	if !domain.ValidEventPosition(after) {
		return 0, &domain.ValidationError{Field: "after", Reason: "must be an event position (as a delivery log shows it), or 0-0 for all"}
	}
	return u.store.ReplayWebhook(ctx, caller.App, id, after, u.clock.Now())
}
