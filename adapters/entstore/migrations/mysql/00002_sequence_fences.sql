-- +goose Up
-- Sequence epochs and fences: what a sequencer that lost its state (Redis
-- restarted empty) records before it numbers a scope again (ports.SequenceFences).
ALTER TABLE applications ADD COLUMN seq_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN seq_epoch BIGINT NOT NULL DEFAULT 0;
CREATE TABLE sequence_fences (
  id BIGINT NOT NULL AUTO_INCREMENT,
  scope VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  parent_id BIGINT NOT NULL,
  epoch BIGINT NOT NULL,
  resume_after BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY sequencefence_scope_parent_id_epoch (scope, parent_id, epoch)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE sequence_leases (
  scope_token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  scope_chat BIGINT NOT NULL,
  reserved BIGINT NOT NULL,
  PRIMARY KEY (scope_token, scope_chat)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sequence_leases;
DROP TABLE sequence_fences;
ALTER TABLE chats DROP COLUMN seq_epoch;
ALTER TABLE applications DROP COLUMN seq_epoch;
