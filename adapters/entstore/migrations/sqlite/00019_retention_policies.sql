-- +goose Up
-- How long messages are kept (adapters/entstore/retention.go): an
-- application's (chat 0) or one chat's, which overrides it. No row: forever.
CREATE TABLE retention_policies (
  token TEXT NOT NULL,
  chat INTEGER NOT NULL,
  days INTEGER NOT NULL,
  PRIMARY KEY (token, chat)
);

-- +goose Down
DROP TABLE retention_policies;
