-- +goose Up
-- Sequence epochs and fences (ports.SequenceFences). The embedded sequencer
-- keeps its state in this database and never fences; the columns keep the
-- two dialects alike.
ALTER TABLE applications ADD COLUMN seq_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN seq_epoch INTEGER NOT NULL DEFAULT 0;
CREATE TABLE sequence_fences (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  parent_id INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  resume_after INTEGER NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX sequencefence_scope_parent_id_epoch ON sequence_fences (scope, parent_id, epoch);
CREATE TABLE sequence_leases (
  scope_token TEXT NOT NULL,
  scope_chat INTEGER NOT NULL,
  reserved INTEGER NOT NULL,
  PRIMARY KEY (scope_token, scope_chat)
);

-- +goose Down
DROP TABLE sequence_leases;
DROP TABLE sequence_fences;
