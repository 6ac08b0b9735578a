-- +goose Up
-- Data lifecycle jobs (adapters/entstore/jobs.go): what a runner takes up
-- and leases, with its progress, so that a job resumes after a restart.
-- Times are Unix milliseconds; lease_until 0: no runner holds it.
CREATE TABLE lifecycle_jobs (
  id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  done BIGINT NOT NULL DEFAULT 0,
  error VARCHAR(255) NOT NULL DEFAULT '',
  not_before BIGINT NOT NULL,
  lease_until BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY lifecycle_jobs_due (state, not_before),
  KEY lifecycle_jobs_token (token, kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE lifecycle_jobs;
