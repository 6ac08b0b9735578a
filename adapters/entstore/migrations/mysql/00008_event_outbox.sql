-- +goose Up
-- The degraded write path (adapters/entstore/outbox.go): while Redis cannot
-- be reached, a write is numbered and persisted in MySQL, and its event
-- waits in event_outbox until a relay appends it to the stream.
-- sequence_leases.taken is the highest number MySQL handed out for the
-- sequence: a reservation that Redis asks for later skips past it.
ALTER TABLE sequence_leases ADD COLUMN taken BIGINT NOT NULL DEFAULT 0;
CREATE TABLE event_outbox (
  id BIGINT NOT NULL AUTO_INCREMENT,
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  chat BIGINT NOT NULL,
  topic VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  uuid VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  metadata MEDIUMBLOB NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE event_outbox;
ALTER TABLE sequence_leases DROP COLUMN taken;
