-- +goose Up
-- The heads of the webhook outbox (a chat's oldest pending delivery to an
-- endpoint) are found on the pending deliveries alone: state leads the
-- index, so a claim reads what is pending, not the endpoints' whole logs
-- (adapters/entstore/webhooks_outbox.go). app_events_created: the cleanup
-- of the feed past CHAT_FEED_RETENTION reads the oldest events first.
ALTER TABLE webhook_deliveries DROP INDEX webhook_deliveries_chat,
  ADD INDEX webhook_deliveries_pending (state, endpoint_id, chat, pos, id);
ALTER TABLE app_events ADD INDEX app_events_created (created_at);

-- +goose Down
ALTER TABLE app_events DROP INDEX app_events_created;
ALTER TABLE webhook_deliveries DROP INDEX webhook_deliveries_pending,
  ADD INDEX webhook_deliveries_chat (endpoint_id, chat, state, pos, id);
