-- +goose Up
-- Webhook endpoints and their outbox (adapters/entstore/webhooks.go). In
-- the embedded profile deliveries are written in the group-commit
-- transaction of their events. Times are Unix milliseconds.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_token ON webhook_endpoints (token);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  chat INTEGER NOT NULL,
  part TEXT NOT NULL,
  pos TEXT NOT NULL,
  body BLOB NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_status INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  next_attempt INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt);
CREATE INDEX webhook_deliveries_chat ON webhook_deliveries (endpoint_id, chat, state, pos, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
