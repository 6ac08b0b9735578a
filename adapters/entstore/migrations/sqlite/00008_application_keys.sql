-- +goose Up
-- The Idempotency-Keys of application creations, written in the transaction
-- of the application's row (adapters/entstore/idempotency.go).
CREATE TABLE application_keys (
  idem_key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  token TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX application_keys_expires_at ON application_keys (expires_at);

-- +goose Down
DROP TABLE application_keys;
