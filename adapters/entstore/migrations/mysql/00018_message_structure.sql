-- +goose Up
-- A message's type and attributes (ent/schema/message.go): every message
-- written before them is text, with none. Compared byte for byte, as the
-- client sent them. Added last, so that MariaDB adds them in place, without
-- copying the table.
ALTER TABLE messages
  ADD COLUMN kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'text',
  ADD COLUMN attributes TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN attributes, DROP COLUMN kind;
