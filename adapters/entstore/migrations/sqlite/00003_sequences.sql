-- +goose Up
-- The embedded profile's number sequences (adapters/embedded), beside the
-- rows they number, so that a creation's number and its row are written in
-- one transaction. IF NOT EXISTS: data directories made before this
-- migration already have them.
CREATE TABLE IF NOT EXISTS seq_applications (
  token TEXT PRIMARY KEY,
  last_chat INTEGER NOT NULL,
  seeded_upto INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seq_chats (
  token TEXT NOT NULL,
  chat INTEGER NOT NULL,
  last_message INTEGER NOT NULL,
  last_version INTEGER NOT NULL,
  PRIMARY KEY (token, chat)
);

-- +goose Down
DROP TABLE seq_chats;
DROP TABLE seq_applications;
