-- +goose Up
-- Each member's read position (API.md "Per-user state"): every message up
-- to read_through is read. Moved forward only (adapters/entstore/reads.go).
ALTER TABLE chat_members ADD COLUMN read_through INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE chat_members DROP COLUMN read_through;
