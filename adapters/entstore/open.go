package entstore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // the embedded profile's pure-Go SQLite driver, registered as "sqlite"
)

// OpenMySQL opens a pool on a go-sql-driver DSN. Times are always UTC and
// parsed into time.Time, whatever the DSN says, because the store relies on it.
func OpenMySQL(dsn string, maxOpen int) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("CHAT_MYSQL_DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true // one round trip a statement instead of prepare+execute
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("CHAT_MYSQL_DSN: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxLifetime(30 * time.Minute)
	return db, nil
}

// OpenSQLite opens the embedded database in dir, which must exist; like
// every database/sql pool it connects (creating the file if needed) at
// first use. synchronous=FULL makes a committed transaction durable before the commit
// returns, which is what lets the embedded profile answer 201 only for
// writes that survive a kill -9.
func OpenSQLite(dir string) (*sql.DB, error) {
	path := filepath.Join(dir, "chat.db")
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate&_time_format=sqlite"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One writer at a time is all SQLite allows; a small pool keeps readers concurrent under WAL.
	db.SetMaxOpenConns(8)
	return db, nil
}
