-- +goose Up
-- A message's parent and its count of replies (ent/schema/message.go):
-- every message written before them answers none and has none. The index
-- pages a message's replies by number; MariaDB adds the columns in place
-- and builds the index without blocking writes.
ALTER TABLE messages
  ADD COLUMN reply_to BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;
CREATE INDEX message_chat_id_reply_to_number ON messages (chat_id, reply_to, number);

-- +goose Down
DROP INDEX message_chat_id_reply_to_number ON messages;
ALTER TABLE messages DROP COLUMN reply_count, DROP COLUMN reply_to;
