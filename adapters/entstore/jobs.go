package entstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
)

// The data lifecycle jobs (ports.JobStore) in lifecycle_jobs, and the
// hiding of a deleted application. Raw SQL, like the webhooks' outbox: a
// claim is a conditional update that ent's builders do not say.

// hidden is the token a deleted application's row is kept under until its
// job removes it: no request can name it (domain.ParseToken refuses "~"),
// so every read, write and fence finds the application unknown at once,
// and the job still finds its rows.
func hidden(token domain.Token) string { return "~" + string(token) }

func (s *Store) DeleteApplication(ctx context.Context, token domain.Token, job domain.Job) error {
	return s.inTx(ctx, func(tx *ent.Client) error {
		res, err := tx.ExecContext(ctx, "UPDATE applications SET token = ? WHERE token = ?", hidden(token), string(token))
		if err != nil {
			return storeErr(err, "")
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return domain.NotFoundf("application not found")
		}
		s.appIDs.Delete(token)
		_, err = tx.ExecContext(ctx, insertJob, job.ID, string(job.Kind), string(token), string(job.State), job.NotBefore.UnixMilli(), job.CreatedAt.UnixMilli(), job.UpdatedAt.UnixMilli())
		return storeErr(err, "")
	})
}

// deleted says whether the application was deleted (its job recorded):
// what the projection asks, only of events it could not apply.
func (s *Store) deleted(ctx context.Context, q SQLTx, token domain.Token) bool {
	rows, err := q.QueryContext(ctx, "SELECT 1 FROM lifecycle_jobs WHERE token = ? AND kind = ? LIMIT 1", string(token), string(domain.JobDeleteApplication))
	if err != nil {
		return false
	}
	defer rows.Close()
	return rows.Next()
}

const jobColumns = "id, kind, token, state, done, error, not_before, created_at, updated_at, finished_at"

func scanJob(rows interface{ Scan(...any) error }) (domain.Job, error) {
	var j domain.Job
	var kind, token, state string
	var notBefore, created, updated, finished int64
	if err := rows.Scan(&j.ID, &kind, &token, &state, &j.Done, &j.Error, &notBefore, &created, &updated, &finished); err != nil {
		return j, err
	}
	j.Kind, j.Token, j.State = domain.JobKind(kind), domain.Token(token), domain.JobState(state)
	j.NotBefore, j.CreatedAt, j.UpdatedAt = time.UnixMilli(notBefore).UTC(), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	if finished != 0 {
		j.FinishedAt = time.UnixMilli(finished).UTC()
	}
	return j, nil
}

func (s *Store) ClaimJob(ctx context.Context, now, until time.Time) (domain.Job, bool, error) {
	for range 3 { // another runner may take the one found first
		row := s.db.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM lifecycle_jobs WHERE state <> ? AND not_before <= ? AND lease_until < ? ORDER BY created_at, id LIMIT 1",
			string(domain.JobDone), now.UnixMilli(), now.UnixMilli())
		job, err := scanJob(row)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Job{}, false, nil
		}
		if err != nil {
			return domain.Job{}, false, storeErr(err, "")
		}
		res, err := s.db.ExecContext(ctx, "UPDATE lifecycle_jobs SET lease_until = ? WHERE id = ? AND state <> ? AND lease_until < ?",
			until.UnixMilli(), job.ID, string(domain.JobDone), now.UnixMilli())
		if err != nil {
			return domain.Job{}, false, storeErr(err, "")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return job, true, nil
		}
	}
	return domain.Job{}, false, nil
}

func (s *Store) SaveJob(ctx context.Context, job domain.Job, until time.Time) error {
	var finished int64
	if !job.FinishedAt.IsZero() {
		finished = job.FinishedAt.UnixMilli()
	}
	_, err := s.db.ExecContext(ctx, "UPDATE lifecycle_jobs SET state = ?, done = ?, error = ?, not_before = ?, updated_at = ?, finished_at = ?, lease_until = ? WHERE id = ?",
		string(job.State), job.Done, job.Error, job.NotBefore.UnixMilli(), job.UpdatedAt.UnixMilli(), finished, until.UnixMilli(), job.ID)
	return storeErr(err, "")
}

func (s *Store) Job(ctx context.Context, token domain.Token, id string) (domain.Job, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM lifecycle_jobs WHERE id = ? AND token = ?", id, string(token))
	job, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return job, domain.NotFoundf("job not found")
	}
	return job, storeErr(err, "")
}

func (s *Store) JobCounts(ctx context.Context) (map[domain.JobKind]map[domain.JobState]int, time.Time, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT kind, state, COUNT(*), MIN(updated_at) FROM lifecycle_jobs WHERE state <> ? GROUP BY kind, state", string(domain.JobDone))
	if err != nil {
		return nil, time.Time{}, storeErr(err, "")
	}
	defer rows.Close()
	out := map[domain.JobKind]map[domain.JobState]int{}
	var stalest int64
	for rows.Next() {
		var kind, state string
		var n int
		var oldest int64
		if err := rows.Scan(&kind, &state, &n, &oldest); err != nil {
			return nil, time.Time{}, storeErr(err, "")
		}
		if out[domain.JobKind(kind)] == nil {
			out[domain.JobKind(kind)] = map[domain.JobState]int{}
		}
		out[domain.JobKind(kind)][domain.JobState(state)] = n
		if stalest == 0 || oldest < stalest {
			stalest = oldest
		}
	}
	if stalest == 0 {
		return out, time.Time{}, storeErr(rows.Err(), "")
	}
	return out, time.UnixMilli(stalest).UTC(), storeErr(rows.Err(), "")
}

const insertJob = "INSERT INTO lifecycle_jobs (id, kind, token, state, not_before, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"

func (s *Store) EnsureJob(ctx context.Context, job domain.Job) error {
	q := insertJob + " ON DUPLICATE KEY UPDATE id = id"
	if s.isSQLite() {
		q = insertJob + " ON CONFLICT DO NOTHING"
	}
	_, err := s.db.ExecContext(ctx, q, job.ID, string(job.Kind), string(job.Token), string(job.State), job.NotBefore.UnixMilli(), job.CreatedAt.UnixMilli(), job.UpdatedAt.UnixMilli())
	return storeErr(err, "")
}
