-- +goose Up
-- The heads of the webhook outbox (a chat's oldest pending delivery to an
-- endpoint) are found on the pending deliveries alone: state leads the
-- index (adapters/entstore/webhooks_outbox.go). app_events_created: the
-- cleanup of the feed past CHAT_FEED_RETENTION reads the oldest first.
DROP INDEX webhook_deliveries_chat;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (state, endpoint_id, chat, pos, id);
CREATE INDEX app_events_created ON app_events (created_at);

-- +goose Down
DROP INDEX app_events_created;
DROP INDEX webhook_deliveries_pending;
CREATE INDEX webhook_deliveries_chat ON webhook_deliveries (endpoint_id, chat, state, pos, id);
