package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vbdt/vbdt/internal/redact"
)

// dialect holds what differs between SQLite and PostgreSQL.
type dialect struct {
	name      string
	autoID    string // the id column of append-only tables
	forUpdate string // row lock suffix for SELECT in a transaction
	lockTx    string // statement that serializes migrations, run first in their transaction
	// noChange makes a table append-only: updates and deletes fail.
	noChange func(table string) []string
}

var sqliteDialect = dialect{
	name:   "sqlite",
	autoID: "INTEGER PRIMARY KEY AUTOINCREMENT",
	noChange: func(t string) []string {
		return []string{
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_update BEFORE UPDATE ON %[1]s BEGIN SELECT RAISE(ABORT, 'the register is append-only: %[1]s rows cannot be changed'); END`, t),
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_delete BEFORE DELETE ON %[1]s BEGIN SELECT RAISE(ABORT, 'the register is append-only: %[1]s rows cannot be deleted'); END`, t),
		}
	},
}

var postgresDialect = dialect{
	name:      "postgres",
	autoID:    "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	forUpdate: " FOR UPDATE",
	lockTx:    "SELECT pg_advisory_xact_lock(730120201)",
	noChange: func(t string) []string {
		return []string{
			fmt.Sprintf(`CREATE OR REPLACE FUNCTION %[1]s_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the register is append-only: %[1]s rows cannot be changed'; END $$`, t),
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_change BEFORE UPDATE OR DELETE ON %[1]s FOR EACH ROW EXECUTE FUNCTION %[1]s_append_only()`, t),
		}
	},
}

// rebind turns ? placeholders into PostgreSQL's $1, $2, ….
func (d dialect) rebind(q string) string {
	if d.name != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// IsPostgres reports whether location names a PostgreSQL register.
func IsPostgres(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

func openDB(ctx context.Context, location string) (*sql.DB, dialect, error) {
	if IsPostgres(location) {
		db, err := sql.Open("pgx", location)
		if err != nil {
			return nil, dialect{}, err
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := db.PingContext(pctx); err != nil {
			db.Close()
			return nil, dialect{}, fmt.Errorf("%w: %s does not answer: %s", ErrUnavailable, redact.String(location),
				redact.String(strings.Join(strings.Fields(err.Error()), " ")))
		}
		return db, postgresDialect, nil
	}
	if strings.ContainsAny(location, "?#") {
		return nil, dialect{}, invalid("register file name %q may not contain ? or #", location)
	}
	if dir := filepath.Dir(location); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, dialect{}, fmt.Errorf("%w: register folder %s: %v", ErrUnavailable, dir, err)
		}
	}
	// WAL lets readers work while one clerk allocates; FULL sync makes every committed number
	// survive a power cut, so that it is never handed out again; BEGIN IMMEDIATE takes the write
	// lock first, so allocators queue (up to the busy timeout) instead of failing.
	dsn := "file:" + location + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, dialect{}, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, dialect{}, sqliteError(location, err)
	}
	return db, sqliteDialect, nil
}

// sqliteError explains SQLite's failures in the user's terms.
func sqliteError(location string, err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
		return fmt.Errorf("%w: register file %s is read-only: nothing was written", ErrUnavailable, location)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: register file %s is locked by another process beyond the wait: nothing was written", ErrUnavailable, location)
	case sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("%w: cannot open register file %s", ErrUnavailable, location)
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("%w: %s is not a vbdt register (or it is damaged)", ErrUnavailable, location)
	}
	return err
}
