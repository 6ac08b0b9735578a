-- +goose Up
-- The embedded profile's idempotency keys (adapters/embedded/queue.go),
-- written in the transaction that numbers and stores the request's event.
CREATE TABLE idempotency_keys (
  token TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  number INTEGER NOT NULL,
  at_micros INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (token, idem_key)
);

-- +goose Down
DROP TABLE idempotency_keys;
