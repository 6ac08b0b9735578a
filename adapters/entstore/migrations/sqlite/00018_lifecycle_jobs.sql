-- +goose Up
-- Data lifecycle jobs (adapters/entstore/jobs.go): what a runner takes up
-- and leases, with its progress, so that a job resumes after a restart.
-- Times are Unix milliseconds; lease_until 0: no runner holds it.
CREATE TABLE lifecycle_jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  token TEXT NOT NULL,
  state TEXT NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  not_before INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX lifecycle_jobs_due ON lifecycle_jobs (state, not_before);
CREATE INDEX lifecycle_jobs_token ON lifecycle_jobs (token, kind);

-- +goose Down
DROP TABLE lifecycle_jobs;
