package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Claims implements ports.IdempotencyClaims in SQLite: the same states as
// the Redis claims (in progress, then done with its result), one row a key.
type Claims struct{ db *sql.DB }

func NewClaims(db *sql.DB) *Claims { return &Claims{db: db} }

func (c *Claims) Claim(ctx context.Context, key, fingerprint string) (string, error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return "", domain.AsUnavailable("database", err)
	}
	defer func() { _ = tx.Rollback() }()
	now := time.Now()
	var fp, result string
	var done bool
	err = tx.QueryRowContext(ctx, `SELECT fingerprint, result, done FROM idempotency_claims WHERE idem_key = ? AND expires_at > ?`, key, now.UnixMicro()).
		Scan(&fp, &result, &done)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_claims (idem_key, fingerprint, expires_at) VALUES (?, ?, ?)
ON CONFLICT (idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, result = '', done = 0, expires_at = excluded.expires_at`,
			key, fingerprint, now.Add(domain.IdempotencyTTL).UnixMicro())
		if err != nil {
			return "", domain.AsUnavailable("database", err)
		}
		return "", domain.AsUnavailable("database", tx.Commit())
	case err != nil:
		return "", domain.AsUnavailable("database", err)
	case fp != fingerprint:
		return "", domain.ErrIdempotencyKeyReused
	case !done:
		return "", domain.ErrIdempotencyKeyInUse
	}
	return result, nil
}

func (c *Claims) Complete(ctx context.Context, key, fingerprint, result string) error {
	_, err := c.db.ExecContext(ctx, `UPDATE idempotency_claims SET result = ?, done = 1 WHERE idem_key = ? AND fingerprint = ?`, result, key, fingerprint)
	return domain.AsUnavailable("database", err)
}

func (c *Claims) Release(ctx context.Context, key string) error {
	_, err := c.db.ExecContext(ctx, `DELETE FROM idempotency_claims WHERE idem_key = ? AND done = 0`, key)
	return domain.AsUnavailable("database", err)
}
