-- +goose Up
-- Idempotency-Keys of writes that take no number (creating an application),
-- in the embedded profile (adapters/embedded/claims.go).
CREATE TABLE idempotency_claims (
  idem_key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  result TEXT NOT NULL DEFAULT '',
  done INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE idempotency_claims;
