-- +goose Up
-- A message's author (ent/schema/message.go): "" for none, as every
-- message written before authors existed.
ALTER TABLE messages ADD COLUMN author TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN author;
