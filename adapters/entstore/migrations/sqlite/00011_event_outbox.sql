-- +goose Up
-- The degraded write path's outbox (adapters/entstore/outbox.go). The
-- embedded profile has no Redis and never uses it; the tables keep the two
-- dialects alike.
ALTER TABLE sequence_leases ADD COLUMN taken INTEGER NOT NULL DEFAULT 0;
CREATE TABLE event_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  token TEXT NOT NULL,
  chat INTEGER NOT NULL,
  topic TEXT NOT NULL,
  uuid TEXT NOT NULL,
  payload TEXT NOT NULL,
  metadata BLOB NOT NULL
);

-- +goose Down
DROP TABLE event_outbox;
ALTER TABLE sequence_leases DROP COLUMN taken;
