-- +goose Up
-- Idempotency-Keys kept with what they created (adapters/entstore/idempotency.go):
-- the worker writes each in the transaction of its event's rows, so that a
-- retry after Redis lost the key still gets its first answer.
CREATE TABLE idempotency_keys (
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  fingerprint VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  number BIGINT NOT NULL,
  epoch BIGINT NOT NULL DEFAULT 0,
  at_micros BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (token, idem_key),
  KEY idempotency_keys_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE idempotency_keys;
