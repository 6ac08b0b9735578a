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
	apps   ports.ApplicationStore
	store  ports.WebhookStore
	urls   ports.WebhookURLs
	clock  ports.Clock
	secret func() string
}

// NewWebhooks: secret draws an endpoint's signing secret.
func NewWebhooks(apps ports.ApplicationStore, store ports.WebhookStore, urls ports.WebhookURLs, clock ports.Clock, secret func() string) *Webhooks {
	return &Webhooks{apps: apps, store: store, urls: urls, clock: clock, secret: secret}
}

// Register adds an endpoint receiving the events of the types asked (none:
// all). It returns the endpoint and its signing secret, which nothing
// returns again.
func (u *Webhooks) Register(ctx context.Context, rawToken, url string, events []string) (domain.WebhookEndpoint, string, error) {
	token, err := u.application(ctx, rawToken)
	if err != nil {
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
	if err := u.store.CreateWebhook(ctx, token, e, secret); err != nil {
		return domain.WebhookEndpoint{}, "", err
	}
	return e, secret, nil
}

// List returns the application's endpoints, oldest first.
func (u *Webhooks) List(ctx context.Context, rawToken string) ([]domain.WebhookEndpoint, error) {
	token, err := u.application(ctx, rawToken)
	if err != nil {
		return nil, err
	}
	return u.store.Webhooks(ctx, token)
}

// Remove deletes an endpoint; nothing more is delivered to it.
func (u *Webhooks) Remove(ctx context.Context, rawToken, id string) error {
	token, err := u.application(ctx, rawToken)
	if err != nil {
		return err
	}
	return u.store.DeleteWebhook(ctx, token, id)
}

// Deliveries pages an endpoint's delivery log, newest first.
func (u *Webhooks) Deliveries(ctx context.Context, rawToken, id, after string, limit int) (domain.Page[domain.WebhookDelivery], error) {
	token, err := u.application(ctx, rawToken)
	if err != nil {
		return domain.Page[domain.WebhookDelivery]{}, err
	}
	return u.store.WebhookDeliveries(ctx, token, id, after, limit)
}

func (u *Webhooks) application(ctx context.Context, rawToken string) (domain.Token, error) {
	token, err := domain.ParseToken(rawToken)
	if err != nil {
		return "", err
	}
	if _, err := u.apps.Application(ctx, token); err != nil {
		return "", err
	}
	return token, nil
}
