-- +goose Up
-- Webhook endpoints and their outbox (adapters/entstore/webhooks.go): raw
-- SQL, since claims are locking reads that skip what another worker holds.
-- The secret is kept as it is: it is needed to sign every delivery.
CREATE TABLE webhook_endpoints (
  id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  url VARCHAR(2048) NOT NULL,
  events VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  secret VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id),
  KEY webhook_endpoints_token (token)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per event and endpoint. part and pos are the event's place in the
-- log (pos sortable as a string): a chat's deliveries go out in that order.
-- Times are Unix milliseconds.
CREATE TABLE webhook_deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT,
  endpoint_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  chat BIGINT NOT NULL,
  part VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  pos VARCHAR(41) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  body MEDIUMBLOB NOT NULL,
  state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  attempts INT NOT NULL,
  last_status INT NOT NULL,
  last_error VARCHAR(255) NOT NULL,
  next_attempt BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY webhook_deliveries_event (endpoint_id, event_id),
  KEY webhook_deliveries_due (state, next_attempt),
  KEY webhook_deliveries_chat (endpoint_id, chat, state, pos, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
