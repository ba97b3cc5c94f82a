package register

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// migrations are applied in order, each once, in one transaction with its version row. Never
// edit a released migration: add a new one.
var migrations = []func(d dialect) []string{
	func(d dialect) []string {
		return append([]string{
			`CREATE TABLE counters (
				agency TEXT NOT NULL, series TEXT NOT NULL, year INTEGER NOT NULL,
				last_number INTEGER NOT NULL CHECK (last_number > 0),
				PRIMARY KEY (agency, series, year))`,
			`CREATE TABLE entries (
				id ` + d.autoID + `,
				agency TEXT NOT NULL, series TEXT NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('outgoing','incoming')),
				year INTEGER NOT NULL, number INTEGER NOT NULL CHECK (number > 0),
				code TEXT NOT NULL, notation TEXT NOT NULL, type TEXT NOT NULL, type_name TEXT NOT NULL,
				subject TEXT NOT NULL, signer TEXT NOT NULL, recipients TEXT NOT NULL,
				doc_date TEXT NOT NULL, copies INTEGER NOT NULL, archive_unit TEXT NOT NULL,
				handler TEXT NOT NULL, note TEXT NOT NULL, doc_hash TEXT NOT NULL,
				sender_organ TEXT NOT NULL, sender_organ_id TEXT NOT NULL, sender_code TEXT NOT NULL,
				sender_date TEXT NOT NULL, sender_document_id TEXT NOT NULL,
				created_at TEXT NOT NULL, created_by TEXT NOT NULL,
				UNIQUE (agency, series, year, number))`,
			`CREATE TABLE amendments (
				id ` + d.autoID + `,
				entry_id BIGINT NOT NULL REFERENCES entries (id),
				action TEXT NOT NULL CHECK (action IN ('void','correct')),
				field TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
				created_by TEXT NOT NULL, created_at TEXT NOT NULL)`,
			`CREATE INDEX amendments_entry ON amendments (entry_id)`,
			`CREATE INDEX entries_year ON entries (year, series, number)`,
		}, append(d.noChange("entries"), d.noChange("amendments")...)...)
	},
}

// vbdtTables are the tables every vbdt register has: with schema_migrations, the schema marker.
var vbdtTables = []string{"counters", "entries", "amendments", "schema_migrations"}

// inspect reads, without writing, which tables the database has and, when it is a vbdt
// register, its schema version; version is -1 for any other database (tables lists its tables).
func inspect(ctx context.Context, db *sql.DB, d dialect) (version int, tables []string, err error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if d.name == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return 0, nil, err
		}
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	for _, t := range vbdtTables {
		if !slices.Contains(tables, t) {
			return -1, tables, nil
		}
	}
	// schema_migrations is a common name: vbdt's has applied_at and at least its first version
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations WHERE applied_at IS NOT NULL`).Scan(&v); err != nil || !v.Valid {
		return -1, tables, nil
	}
	return int(v.Int64), tables, nil
}

// SchemaVersion is the schema this build writes.
func SchemaVersion() int { return len(migrations) }

func migrate(ctx context.Context, db *sql.DB, d dialect) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.lockTx != "" {
		if _, err := tx.ExecContext(ctx, d.lockTx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("%w: the register has schema version %d, newer than this vbdt (%d): upgrade vbdt", ErrUnavailable, have, len(migrations))
	}
	if have == len(migrations) {
		return nil // nothing to write: leave the transaction unused
	}
	for v := have + 1; v <= len(migrations); v++ {
		for _, stmt := range migrations[v-1](d) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("schema migration %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
			v, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return err
		}
	}
	return tx.Commit()
}
