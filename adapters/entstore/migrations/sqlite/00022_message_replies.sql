-- +goose Up
-- A message's parent and its count of replies (ent/schema/message.go):
-- every message written before them answers none and has none.
ALTER TABLE messages ADD COLUMN reply_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX message_chat_id_reply_to_number ON messages (chat_id, reply_to, number);

-- +goose Down
DROP INDEX message_chat_id_reply_to_number;
ALTER TABLE messages DROP COLUMN reply_count;
ALTER TABLE messages DROP COLUMN reply_to;
