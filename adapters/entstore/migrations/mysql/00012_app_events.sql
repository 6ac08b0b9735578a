-- +goose Up
-- Every event webhooks carry, once, at its position in its application's
-- log: the pull feed (GET …/events?after=) reads it. Written with the
-- webhook deliveries (adapters/entstore/webhooks.go). created_at: Unix ms.
CREATE TABLE app_events (
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  pos VARCHAR(41) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  part VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  body MEDIUMBLOB NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (token, pos, event_id),
  UNIQUE KEY app_events_event (token, event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE app_events;
