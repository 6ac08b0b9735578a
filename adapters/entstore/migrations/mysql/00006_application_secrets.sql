-- +goose Up
-- An application's access mode and its secrets' hashes (SHA-256, hex): the
-- current one, and the previous one until its grace period ends.
ALTER TABLE applications
  ADD COLUMN access VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'open',
  ADD COLUMN secret_hash VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN previous_secret_hash VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN previous_until DATETIME(6) NULL;

-- +goose Down
ALTER TABLE applications DROP COLUMN access, DROP COLUMN secret_hash, DROP COLUMN previous_secret_hash, DROP COLUMN previous_until;
