-- +goose Up
-- A message's type and attributes (ent/schema/message.go): every message
-- written before them is text, with none.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
ALTER TABLE messages ADD COLUMN attributes TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN attributes;
ALTER TABLE messages DROP COLUMN kind;
