-- +goose Up
-- A message's author (ent/schema/message.go): "" for none, as every
-- message written before authors existed. Compared byte for byte: user ids
-- are the application's own, and "Ann" is not "ann". Added last, so that
-- MariaDB adds it in place, without copying the table.
ALTER TABLE messages ADD COLUMN author VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN author;
