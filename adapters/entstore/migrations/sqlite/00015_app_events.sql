-- +goose Up
-- Every event webhooks carry, once, at its position in its application's
-- log: the pull feed (GET …/events?after=) reads it. Written in the
-- group-commit transaction of its event. created_at: Unix ms.
CREATE TABLE app_events (
  token TEXT NOT NULL,
  pos TEXT NOT NULL,
  event_id TEXT NOT NULL,
  part TEXT NOT NULL,
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (token, pos, event_id)
);
CREATE UNIQUE INDEX app_events_event ON app_events (token, event_id);

-- +goose Down
DROP TABLE app_events;
