-- +goose Up
-- An application's access mode and its secrets' hashes (SHA-256, hex): the
-- current one, and the previous one until its grace period ends.
ALTER TABLE applications ADD COLUMN access TEXT NOT NULL DEFAULT 'open';
ALTER TABLE applications ADD COLUMN secret_hash TEXT;
ALTER TABLE applications ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE applications ADD COLUMN previous_until DATETIME;

-- +goose Down
ALTER TABLE applications DROP COLUMN previous_until;
ALTER TABLE applications DROP COLUMN previous_secret_hash;
ALTER TABLE applications DROP COLUMN secret_hash;
ALTER TABLE applications DROP COLUMN access;
