-- +goose Up
-- The Idempotency-Keys of application creations, written in the transaction
-- of the application's row (adapters/entstore/idempotency.go): a retry after
-- Redis lost its claim still gets the application made first.
CREATE TABLE application_keys (
  idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  fingerprint VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (idem_key),
  KEY application_keys_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE application_keys;
