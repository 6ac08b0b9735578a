-- +goose Up
-- The members of protected applications' chats, and the chats made public
-- (a chat without a row is private): adapters/entstore/members.go, raw
-- upserts that keep the time a member joined (unix microseconds).
CREATE TABLE chat_members (
  token TEXT NOT NULL,
  chat INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  joined_micros INTEGER NOT NULL,
  PRIMARY KEY (token, chat, user_id)
);
CREATE INDEX chat_members_user ON chat_members (token, user_id, chat);

CREATE TABLE chat_visibility (
  token TEXT NOT NULL,
  chat INTEGER NOT NULL,
  visibility TEXT NOT NULL,
  PRIMARY KEY (token, chat)
);

-- +goose Down
DROP TABLE chat_visibility;
DROP TABLE chat_members;
