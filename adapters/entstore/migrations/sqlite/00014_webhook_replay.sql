-- +goose Up
-- since: when a delivery's current series of attempts began (its event, or
-- a replay), from which its retry schedule runs. disabled_at: when an
-- endpoint failing for days was disabled (0: it is not); a replay enables
-- it again. Unix milliseconds.
ALTER TABLE webhook_deliveries ADD COLUMN since INTEGER NOT NULL DEFAULT 0;
UPDATE webhook_deliveries SET since = created_at;
ALTER TABLE webhook_endpoints ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE webhook_endpoints DROP COLUMN disabled_at;
ALTER TABLE webhook_deliveries DROP COLUMN since;
