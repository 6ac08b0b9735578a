package entstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies every pending versioned migration of the dialect
// ("mysql" or "sqlite3") and returns how many it applied.
func Migrate(ctx context.Context, db *sql.DB, dialect string) (int, error) {
	var gd goose.Dialect
	var dir string
	switch dialect {
	case "mysql":
		gd, dir = goose.DialectMySQL, "migrations/mysql"
	case "sqlite3":
		gd, dir = goose.DialectSQLite3, "migrations/sqlite"
	default:
		return 0, fmt.Errorf("no migrations for dialect %q", dialect)
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return 0, err
	}
	p, err := goose.NewProvider(gd, db, sub)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrations: %w", err)
	}
	return len(res), nil
}
