-- +goose Up
-- The members of protected applications' chats, and the chats made public
-- (a chat without a row is private): adapters/entstore/members.go, raw
-- upserts that keep the time a member joined (unix microseconds).
CREATE TABLE chat_members (
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  chat BIGINT NOT NULL,
  user_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  role VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  joined_micros BIGINT NOT NULL,
  PRIMARY KEY (token, chat, user_id),
  KEY chat_members_user (token, user_id, chat)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE chat_visibility (
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  chat BIGINT NOT NULL,
  visibility VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (token, chat)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE chat_visibility;
DROP TABLE chat_members;
