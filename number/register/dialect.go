package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
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

func openDB(ctx context.Context, location string, access Access) (*sql.DB, dialect, bool, error) {
	if IsPostgres(location) {
		db, err := sql.Open("pgx", location)
		if err != nil {
			return nil, dialect{}, false, err
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := db.PingContext(pctx); err != nil {
			db.Close()
			return nil, dialect{}, false, fmt.Errorf("%w: %s does not answer: %s", ErrUnavailable, redact.String(location),
				redact.String(strings.Join(strings.Fields(err.Error()), " ")))
		}
		return db, postgresDialect, access == Read, nil
	}
	if strings.ContainsAny(location, "?#") {
		return nil, dialect{}, false, invalid("register file name %q may not contain ? or #", location)
	}
	if dir := filepath.Dir(location); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, dialect{}, false, fmt.Errorf("%w: register folder %s: %v", ErrUnavailable, dir, err)
		}
	}
	fi, err := os.Stat(location)
	switch {
	case errors.Is(err, fs.ErrNotExist) && access != Create:
		return nil, dialect{}, false, fmt.Errorf("%w: no register at %s (only vbdt number issue and receive create one)", ErrUnavailable, location)
	case err == nil && !fi.Mode().IsRegular():
		return nil, dialect{}, false, fmt.Errorf("%w: %s is not a vbdt register: it is not a file", ErrUnavailable, location)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, dialect{}, false, fmt.Errorf("%w: register file %s: %v", ErrUnavailable, location, err)
	}
	readOnly := access == Read || (err == nil && !writable(location))
	// FULL sync makes every committed number survive a power cut, so that it is never handed out
	// again; BEGIN IMMEDIATE takes the write lock first, so allocators queue (up to the busy
	// timeout) instead of failing. journal_mode is set by Open once the database is known to be
	// a register.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	switch {
	case !readOnly:
		q.Set("_txlock", "immediate")
		q.Set("mode", map[bool]string{true: "rwc", false: "rw"}[access == Create])
	case readOnly && hasJournal(location):
		// a writer is at work, or one was stopped before its journal was merged: read through
		// its -wal and -shm, which exist already, so nothing is created
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	default:
		// everything is in the file itself: read it as it is, without the -wal and -shm files
		// that SQLite would otherwise create (with the file's read-only mode) and leave behind
		q.Set("mode", "ro")
		q.Set("immutable", "1")
		q.Add("_pragma", "query_only(1)")
	}
	db, err := sql.Open("sqlite", "file:"+location+"?"+q.Encode())
	if err != nil {
		return nil, dialect{}, false, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, dialect{}, false, sqliteError(location, err)
	}
	return db, sqliteDialect, readOnly, nil
}

// writable reports whether this process may write the file (its mode, an immutable flag, a
// read-only mount).
func writable(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// hasJournal reports whether a SQLite database has its -wal and -shm: a connection has it
// open, or one was stopped before it merged its journal into the file.
func hasJournal(path string) bool {
	_, err := os.Stat(path + "-wal")
	if err != nil {
		return false
	}
	_, err = os.Stat(path + "-shm")
	return err == nil
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
