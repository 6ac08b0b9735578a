-- +goose Up
-- How long messages are kept (adapters/entstore/retention.go): an
-- application's (chat 0) or one chat's, which overrides it. No row: forever.
CREATE TABLE retention_policies (
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  chat BIGINT NOT NULL,
  days INT NOT NULL,
  PRIMARY KEY (token, chat)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE retention_policies;
