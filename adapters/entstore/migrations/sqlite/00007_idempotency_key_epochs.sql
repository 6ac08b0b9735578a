-- +goose Up
-- The epoch of the number a key took: the production profile's worker keeps
-- keys in this table too (adapters/entstore/idempotency.go).
ALTER TABLE idempotency_keys ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN epoch;
