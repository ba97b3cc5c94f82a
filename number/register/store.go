package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vbdt/vbdt/internal/redact"
	"github.com/vbdt/vbdt/number"
)

// Store is an open register. It is safe for concurrent use; concurrent processes and machines
// sharing the register are serialized by the database.
type Store struct {
	db       *sql.DB
	d        dialect
	location string
	// Now is the clock (time.Now); tests set it.
	Now func() time.Time
}

// Open opens (and on first use creates) the register at location: a SQLite file path or a
// postgres:// DSN. Schema migrations are applied automatically.
func Open(ctx context.Context, location string) (*Store, error) {
	db, d, err := openDB(ctx, location)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, d: d, location: location, Now: time.Now}
	if err := migrate(ctx, db, d); err != nil {
		db.Close()
		return nil, s.fail("opening", err)
	}
	return s, nil
}

// Close closes the register.
func (s *Store) Close() error { return s.db.Close() }

// Location is where the register lives, with any password redacted.
func (s *Store) Location() string { return redact.String(s.location) }

// fail gives a database error its meaning and the register's name.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if s.d.name == "sqlite" {
		err = sqliteError(s.location, err)
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("register %s: %s: %w", s.Location(), op, err)
	}
	return fmt.Errorf("register %s: %s: %w", s.Location(), op, wrapErr(ErrUnavailable, err))
}

// Request is a document to number and register.
type Request struct {
	Agency    string // the agency's OrganId (or abbreviation): numbers are per agency
	Series    number.Series
	Direction Direction
	// Notation of an outgoing document (see number.Series.NotationFor); "" for incoming.
	Notation string
	Type     string
	TypeName string
	Subject  string
	Signer   string
	// Date is the document's date (outgoing) or the arrival (incoming): its calendar date in
	// Location decides the year. It may not lie in another year than today, nor before the
	// series' last entry.
	Date        time.Time
	Location    *time.Location
	Recipients  []string
	Copies      int
	ArchiveUnit string
	Handler     string
	Note        string
	DocHash     string
	Sender      *Sender
	By          string
}

// MaxSubject is the length limit of a summary (trích yếu), Decree 30 Appendix VI.
const MaxSubject = 500

func (r *Request) check(now time.Time) (year int, date string, err error) {
	r.Subject = strings.TrimSpace(r.Subject)
	switch {
	case r.Agency == "":
		return 0, "", invalid("no agency: set agency.organ_id or agency.abbreviation in vbdt.yaml")
	case r.Subject == "":
		return 0, "", invalid("the summary (trích yếu, --subject) is empty")
	case utf8.RuneCountInString(r.Subject) > MaxSubject:
		return 0, "", invalid("the summary has %d characters; Decree 30 allows %d", utf8.RuneCountInString(r.Subject), MaxSubject)
	case r.By == "":
		return 0, "", invalid("who registers the document is unknown (--user)")
	case r.Location == nil:
		return 0, "", invalid("no time zone")
	case r.Direction == Outgoing && r.Notation == "":
		return 0, "", invalid("an outgoing document needs its notation")
	case r.Direction == Incoming && r.Series.Kind != number.SeriesIncoming:
		return 0, "", invalid("series %q is not an incoming series", r.Series.Name)
	case r.Direction == Outgoing && r.Series.Kind == number.SeriesIncoming:
		return 0, "", invalid("series %q numbers incoming documents", r.Series.Name)
	case r.Copies < 0:
		return 0, "", invalid("copies cannot be negative")
	}
	year, thisYear := number.YearOf(r.Date, r.Location), number.YearOf(now, r.Location)
	if year != thisYear {
		return 0, "", invalid("the date %s lies in %d, but the %d series is the open one: numbers restart every year and a closed year takes no new numbers",
			r.Date.In(r.Location).Format("2006-01-02"), year, thisYear)
	}
	return year, r.Date.In(r.Location).Format("2006-01-02"), nil
}

// Allocate gives the request the next number of its series and year and registers it, in one
// transaction: the number is committed with its entry or not at all.
func (s *Store) Allocate(ctx context.Context, r Request) (Entry, error) {
	now := s.Now()
	year, date, err := r.check(now)
	if err != nil {
		return Entry{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Entry{}, s.fail("allocating", err)
	}
	defer tx.Rollback()
	var last string
	err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT doc_date FROM entries WHERE agency = ? AND series = ? AND year = ? ORDER BY number DESC LIMIT 1`),
		r.Agency, r.Series.Name, year).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Entry{}, s.fail("allocating", err)
	}
	if last > date {
		return Entry{}, invalid("the date %s is earlier than the series' last entry (%s): numbers follow the order of dates", date, last)
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO counters (agency, series, year, last_number) VALUES (?, ?, ?, 1)
		ON CONFLICT (agency, series, year) DO UPDATE SET last_number = counters.last_number + 1 RETURNING last_number`),
		r.Agency, r.Series.Name, year).Scan(&n); err != nil {
		return Entry{}, s.fail("allocating", err)
	}
	code := number.Code{Number: n, Notation: r.Notation}
	if r.Series.Kind == number.SeriesLegal {
		code.Year = year // 09/2026/QĐ-TTg
	}
	codeText := code.String()
	if r.Direction == Incoming {
		codeText = number.FormatNumber(n) // the số đến
	}
	sender := r.Sender
	if sender == nil {
		sender = &Sender{}
	}
	created := now.UTC().Truncate(time.Microsecond)
	var id int64
	if err := tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO entries (agency, series, direction, year, number, code, notation, type, type_name,
		subject, signer, recipients, doc_date, copies, archive_unit, handler, note, doc_hash,
		sender_organ, sender_organ_id, sender_code, sender_date, sender_document_id, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.Agency, r.Series.Name, string(r.Direction), year, n, codeText, r.Notation, r.Type, r.TypeName,
		r.Subject, r.Signer, strings.Join(r.Recipients, "\n"), date, r.Copies, r.ArchiveUnit, r.Handler, r.Note, r.DocHash,
		sender.Organ, sender.OrganID, sender.Code, sender.Date, sender.DocumentID, created.Format(time.RFC3339Nano), r.By).Scan(&id); err != nil {
		return Entry{}, s.fail("allocating", err)
	}
	if err := tx.Commit(); err != nil {
		return Entry{}, s.fail("allocating", err)
	}
	return s.getByID(ctx, id)
}

// Void marks an entry void: the number stays used and is never handed out again.
func (s *Store) Void(ctx context.Context, agency string, ref Ref, reason, by string) (Entry, error) {
	if strings.TrimSpace(reason) == "" {
		return Entry{}, invalid("voiding needs a reason (--reason)")
	}
	return s.amend(ctx, agency, ref, "void", "", "", reason, by)
}

// Correct records a new value for one field of an entry; the old value stays in its history.
func (s *Store) Correct(ctx context.Context, agency string, ref Ref, field, value, reason, by string) (Entry, error) {
	if !slices.Contains(Correctable, field) {
		return Entry{}, invalid("field %q cannot be corrected (correctable: %s); a wrong number is voided and a new one issued",
			field, strings.Join(Correctable, ", "))
	}
	if strings.TrimSpace(reason) == "" {
		return Entry{}, invalid("a correction needs a reason (--reason)")
	}
	switch field {
	case "subject":
		if v := strings.TrimSpace(value); v == "" || utf8.RuneCountInString(v) > MaxSubject {
			return Entry{}, invalid("the summary must have 1 to %d characters", MaxSubject)
		}
	case "copies":
		if n, err := strconv.Atoi(value); err != nil || n < 0 {
			return Entry{}, invalid("copies must be a whole number")
		}
	case "date":
		if _, err := time.Parse("2006-01-02", value); err != nil {
			return Entry{}, invalid("date must be yyyy-mm-dd")
		}
	}
	return s.amend(ctx, agency, ref, "correct", field, value, reason, by)
}

func (s *Store) amend(ctx context.Context, agency string, ref Ref, action, field, value, reason, by string) (Entry, error) {
	if by == "" {
		return Entry{}, invalid("who amends the entry is unknown (--user)")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Entry{}, s.fail("amending", err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT id FROM entries WHERE agency = ? AND series = ? AND year = ? AND number = ?`+s.d.forUpdate),
		agency, ref.Series, ref.Year, ref.Number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	if err != nil {
		return Entry{}, s.fail("amending", err)
	}
	var voids int
	if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM amendments WHERE entry_id = ? AND action = 'void'`), id).Scan(&voids); err != nil {
		return Entry{}, s.fail("amending", err)
	}
	if voids > 0 {
		return Entry{}, invalid("%s is void: it cannot be amended", ref)
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO amendments (entry_id, action, field, value, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		id, action, field, value, strings.TrimSpace(reason), by, s.Now().UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)); err != nil {
		return Entry{}, s.fail("amending", err)
	}
	if err := tx.Commit(); err != nil {
		return Entry{}, s.fail("amending", err)
	}
	return s.getByID(ctx, id)
}

// Get returns one entry with its history.
func (s *Store) Get(ctx context.Context, agency string, ref Ref) (Entry, error) {
	es, err := s.query(ctx, `agency = ? AND series = ? AND year = ? AND number = ?`, agency, ref.Series, ref.Year, ref.Number)
	if err != nil {
		return Entry{}, err
	}
	if len(es) == 0 {
		return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return es[0], nil
}

func (s *Store) getByID(ctx context.Context, id int64) (Entry, error) {
	es, err := s.query(ctx, `id = ?`, id)
	if err != nil {
		return Entry{}, err
	}
	if len(es) == 0 {
		return Entry{}, fmt.Errorf("%w: id %d", ErrNotFound, id)
	}
	return es[0], nil
}

// Filter selects entries for List. Zero fields select everything.
type Filter struct {
	Agency    string
	Year      int
	Series    string
	Direction Direction
	Type      string
	From, To  string // yyyy-mm-dd, inclusive
	Text      string // in the summary, case-insensitive
}

// List returns the entries the filter selects, by series, year and number.
func (s *Store) List(ctx context.Context, f Filter) ([]Entry, error) {
	where := []string{"1 = 1"}
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Agency != "" {
		add("agency = ?", f.Agency)
	}
	if f.Year != 0 {
		add("year = ?", f.Year)
	}
	if f.Series != "" {
		add("series = ?", f.Series)
	}
	if f.Direction != "" {
		add("direction = ?", string(f.Direction))
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.From != "" {
		add("doc_date >= ?", f.From)
	}
	if f.To != "" {
		add("doc_date <= ?", f.To)
	}
	es, err := s.query(ctx, strings.Join(where, " AND "), args...)
	if err != nil || f.Text == "" {
		return es, err
	}
	// Vietnamese case folding is done here: SQL LIKE folds ASCII only.
	needle := strings.ToLower(f.Text)
	out := es[:0]
	for _, e := range es {
		if strings.Contains(strings.ToLower(e.Subject), needle) {
			out = append(out, e)
		}
	}
	return out, nil
}

const entryColumns = `id, agency, series, direction, year, number, code, notation, type, type_name, subject, signer, recipients,
	doc_date, copies, archive_unit, handler, note, doc_hash, sender_organ, sender_organ_id, sender_code, sender_date,
	sender_document_id, created_at, created_by`

func (s *Store) query(ctx context.Context, where string, args ...any) ([]Entry, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT `+entryColumns+` FROM entries WHERE `+where+` ORDER BY agency, year, series, number`), args...)
	if err != nil {
		return nil, s.fail("reading", err)
	}
	defer rows.Close()
	var es []Entry
	byID := map[int64]int{}
	for rows.Next() {
		var e Entry
		var dir, recipients, created string
		var snd Sender
		if err := rows.Scan(&e.ID, &e.Agency, &e.Series, &dir, &e.Year, &e.Number, &e.Code, &e.Notation, &e.Type, &e.TypeName,
			&e.Subject, &e.Signer, &recipients, &e.Date, &e.Copies, &e.ArchiveUnit, &e.Handler, &e.Note, &e.DocHash,
			&snd.Organ, &snd.OrganID, &snd.Code, &snd.Date, &snd.DocumentID, &created, &e.CreatedBy); err != nil {
			return nil, s.fail("reading", err)
		}
		e.Direction = Direction(dir)
		if recipients != "" {
			e.Recipients = strings.Split(recipients, "\n")
		}
		if snd != (Sender{}) {
			e.Sender = &snd
		}
		e.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		byID[e.ID] = len(es)
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("reading", err)
	}
	if len(es) == 0 {
		return es, nil
	}
	if err := s.applyAmendments(ctx, es, byID, where, args); err != nil {
		return nil, err
	}
	return es, nil
}

func (s *Store) applyAmendments(ctx context.Context, es []Entry, byID map[int64]int, where string, args []any) error {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT id, entry_id, action, field, value, reason, created_by, created_at FROM amendments
		WHERE entry_id IN (SELECT id FROM entries WHERE `+where+`) ORDER BY id`), args...)
	if err != nil {
		return s.fail("reading", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Amendment
		var entryID int64
		var at string
		if err := rows.Scan(&a.ID, &entryID, &a.Action, &a.Field, &a.Value, &a.Reason, &a.By, &at); err != nil {
			return s.fail("reading", err)
		}
		a.At, _ = time.Parse(time.RFC3339Nano, at)
		i, ok := byID[entryID]
		if !ok {
			continue
		}
		e := &es[i]
		if a.Action == "void" {
			e.Void, e.VoidReason = true, a.Reason
		} else {
			a.Old = e.field(a.Field)
			e.set(a.Field, a.Value)
		}
		e.History = append(e.History, a)
	}
	return s.fail("reading", rows.Err())
}

// fields maps the correctable fields to the entry's values.
func (e *Entry) fields() map[string]*string {
	return map[string]*string{"subject": &e.Subject, "signer": &e.Signer, "date": &e.Date,
		"archive_unit": &e.ArchiveUnit, "handler": &e.Handler, "note": &e.Note, "doc_hash": &e.DocHash}
}

func (e *Entry) field(name string) string {
	switch name {
	case "recipients":
		return strings.Join(e.Recipients, "\n")
	case "copies":
		return strconv.Itoa(e.Copies)
	}
	if p, ok := e.fields()[name]; ok {
		return *p
	}
	return ""
}

func (e *Entry) set(field, value string) {
	switch field {
	case "recipients":
		e.Recipients = nil
		if value != "" {
			e.Recipients = strings.Split(value, "\n")
		}
	case "copies":
		e.Copies, _ = strconv.Atoi(value)
	default:
		if p, ok := e.fields()[field]; ok {
			*p = value
		}
	}
}
