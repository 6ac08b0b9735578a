-- +goose Up
-- Deleted messages stay as tombstones (ent/schema/message.go).
ALTER TABLE messages ADD COLUMN deleted BOOL NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE messages DROP COLUMN deleted;
