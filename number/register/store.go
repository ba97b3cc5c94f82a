package register

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
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
	// Zone is the agency's time zone, where "today" is decided for corrections (default
	// Asia/Ho_Chi_Minh).
	Zone *time.Location
}

// hoChiMinh is Vietnam's time zone, UTC+7 without daylight saving.
var hoChiMinh = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return l
	}
	return time.FixedZone("ICT", 7*3600)
}()

// Access says what a command does with the register: only the commands that register a
// document may create one, so that a mistyped path is an error, not a new empty register.
type Access int

const (
	// Create reads and writes, creating the register where there is none (issue, receive).
	Create Access = iota
	// Write reads and writes an existing register (void, correct).
	Write
	// Read only reads an existing register and leaves no file behind (list, check, book).
	Read
)

// Open opens (and on first use creates) the register at location: a SQLite file path or a
// postgres:// DSN. Schema migrations are applied automatically.
func Open(ctx context.Context, location string) (*Store, error) {
	return OpenFor(ctx, location, Create)
}

// OpenFor opens the register at location for access. A register is created only with Create;
// a database that is not a vbdt register is refused, whatever the access, and left as it is.
// A SQLite register read (or not writable) is opened so that no -wal or -shm file is left.
func OpenFor(ctx context.Context, location string, access Access) (*Store, error) {
	db, d, readOnly, err := openDB(ctx, location, access)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, d: d, location: location, Now: time.Now, Zone: hoChiMinh}
	if err := s.prepare(ctx, access, readOnly); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// prepare checks that the database is a vbdt register (or, to be created, empty) and brings its
// schema up to date, before anything is written to it.
func (s *Store) prepare(ctx context.Context, access Access, readOnly bool) error {
	version, tables, err := inspect(ctx, s.db, s.d)
	if err != nil {
		return s.fail("opening", err)
	}
	switch {
	case version < 0 && len(tables) > 0:
		shown := tables
		if len(shown) > 5 {
			shown = append(shown[:5:5], "…")
		}
		return fmt.Errorf("%w: %s is not a vbdt register: it holds other tables (%s) and no vbdt schema; nothing was changed",
			ErrUnavailable, s.Location(), strings.Join(shown, ", "))
	case version < 0 && access != Create:
		return fmt.Errorf("%w: %s is not a vbdt register: it is empty (vbdt number issue or receive creates a register)", ErrUnavailable, s.Location())
	case version < 0 && readOnly:
		return fmt.Errorf("%w: register file %s is read-only: nothing was written", ErrUnavailable, s.Location())
	case version > len(migrations):
		return s.fail("opening", fmt.Errorf("%w: the register has schema version %d, newer than this vbdt (%d): upgrade vbdt", ErrUnavailable, version, len(migrations)))
	case version == len(migrations), readOnly:
		return nil
	}
	if s.d.name == "sqlite" {
		// WAL lets readers work while one clerk allocates; set only on a register, never on a
		// stranger's database.
		if _, err := s.db.ExecContext(ctx, `PRAGMA journal_mode=WAL`); err != nil {
			return s.fail("opening", err)
		}
	}
	return s.fail("opening", migrate(ctx, s.db, s.d))
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
	// AllowFuture accepts a date after today; such an entry holds the series back until its
	// date comes (or it is corrected or voided).
	AllowFuture bool
}

// checkTexts refuses text that is not valid UTF-8 or holds control characters (an ESC
// sequence, a bidirectional override): the register is printed, listed and exported, and
// what it holds must read as it was typed.
func (r *Request) checkTexts() error {
	// line breaks and tabs in a summary (an envelope's may hold them) become spaces
	r.Subject = strings.Join(strings.Fields(r.Subject), " ")
	fields := [][2]string{{"the summary (--subject)", r.Subject}, {"the signer", r.Signer}, {"the archive unit", r.ArchiveUnit},
		{"the handler", r.Handler}, {"the note", r.Note}, {"the user (--user)", r.By}}
	for _, rc := range r.Recipients {
		fields = append(fields, [2]string{"a recipient", rc})
	}
	if r.Sender != nil {
		fields = append(fields, [2]string{"the sender", r.Sender.Organ}, [2]string{"the sender's number", r.Sender.Code})
	}
	for _, f := range fields {
		if err := checkText(f[0], f[1]); err != nil {
			return err
		}
	}
	return nil
}

func checkText(name, s string) error {
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8 text", name)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c {
			return invalid("%s holds the control character U+%04X", name, r)
		}
	}
	return nil
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
	if err := checkHash(r.DocHash); err != nil {
		return 0, "", err
	}
	if err := r.checkTexts(); err != nil {
		return 0, "", err
	}
	year, thisYear := number.YearOf(r.Date, r.Location), number.YearOf(now, r.Location)
	date, today := r.Date.In(r.Location).Format(isoDate), now.In(r.Location).Format(isoDate)
	if year != thisYear {
		return 0, "", invalid("the date %s lies in %d, but the %d series is the open one: numbers restart every year and a closed year takes no new numbers",
			date, year, thisYear)
	}
	if date > today && !r.AllowFuture {
		return 0, "", invalid("the date %s is after today (%s in %s): a later number would have to wait for it; allow it explicitly (--allow-future-date) if the document really bears that date",
			date, today, r.Location)
	}
	return year, date, nil
}

const isoDate = "2006-01-02"

// checkHash checks the form of a document hash: sha256:<64 lower-case hex digits>.
func checkHash(h string) error {
	hexPart, ok := strings.CutPrefix(h, "sha256:")
	if h == "" {
		return nil
	}
	if !ok || len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return invalid("document hash %q: write sha256:<64 hex digits> (lower case)", h)
	}
	return nil
}

// effectiveDate is the SQL of an entry's date with its latest correction applied.
const effectiveDate = `COALESCE((SELECT c.value FROM amendments c WHERE c.entry_id = e.id AND c.action = 'correct' AND c.field = 'date'
	ORDER BY c.id DESC LIMIT 1), e.doc_date)`

// notVoid is the SQL condition of an entry that is not void.
const notVoid = `NOT EXISTS (SELECT 1 FROM amendments v WHERE v.entry_id = e.id AND v.action = 'void')`

// neighbourDates are the effective dates of the nearest entries that are not void before and
// after number n of a series ("" where there is none): the dates a date must lie between.
func (s *Store) neighbourDates(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, agency, series string, year, n int) (before, after string, err error) {
	for _, side := range []struct {
		cond, order string
		dst         *string
	}{{"e.number < ?", "DESC", &before}, {"e.number > ?", "ASC", &after}} {
		err := q.QueryRowContext(ctx, s.d.rebind(`SELECT `+effectiveDate+` FROM entries e WHERE e.agency = ? AND e.series = ? AND e.year = ? AND `+
			side.cond+` AND `+notVoid+` ORDER BY e.number `+side.order+` LIMIT 1`), agency, series, year, n).Scan(side.dst)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", "", err
		}
	}
	return before, after, nil
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
	// the last entry that counts: void ones do not, and a corrected date replaces the first
	last, _, err := s.neighbourDates(ctx, tx, r.Agency, r.Series.Name, year, math.MaxInt32)
	if err != nil {
		return Entry{}, s.fail("allocating", err)
	}
	if last > date {
		return Entry{}, invalid("the date %s is earlier than the series' last entry (%s): numbers follow the order of dates; if that entry's date is wrong, correct it (vbdt number correct --field date) or void it",
			date, last)
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
		if _, err := time.Parse(isoDate, value); err != nil {
			return Entry{}, invalid("date must be yyyy-mm-dd")
		}
	case "doc_hash":
		if value == "" {
			return Entry{}, invalid("document hash: write sha256:<64 hex digits>")
		}
		if err := checkHash(value); err != nil {
			return Entry{}, err
		}
	}
	return s.amend(ctx, agency, ref, "correct", field, value, reason, by)
}

// checkDate checks a corrected date of the entry: in its year, not after today, and between the
// dates of the entries around it.
func (s *Store) checkDate(ctx context.Context, tx *sql.Tx, agency string, ref Ref, value string) error {
	if y, _ := strconv.Atoi(value[:4]); y != ref.Year {
		return invalid("the date %s lies in %d, but %s belongs to %d: a number stays in its year", value, y, ref, ref.Year)
	}
	if today := s.Now().In(cmp.Or(s.Zone, hoChiMinh)).Format(isoDate); value > today {
		return invalid("the date %s is after today (%s)", value, today)
	}
	before, after, err := s.neighbourDates(ctx, tx, agency, ref.Series, ref.Year, ref.Number)
	if err != nil {
		return s.fail("amending", err)
	}
	if before > value {
		return invalid("the date %s is earlier than the entry before it (%s): numbers follow the order of dates", value, before)
	}
	if after != "" && after < value {
		return invalid("the date %s is later than the entry after it (%s): numbers follow the order of dates", value, after)
	}
	return nil
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
	var notation string
	err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT id, notation FROM entries WHERE agency = ? AND series = ? AND year = ? AND number = ?`+s.d.forUpdate),
		agency, ref.Series, ref.Year, ref.Number).Scan(&id, &notation)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	if err != nil {
		return Entry{}, s.fail("amending", err)
	}
	if err := ref.matches(notation); err != nil {
		return Entry{}, err
	}
	if action == "correct" && field == "date" {
		if err := s.checkDate(ctx, tx, agency, ref, value); err != nil {
			return Entry{}, err
		}
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
	if err := ref.matches(es[0].Notation); err != nil {
		return Entry{}, err
	}
	return es[0], nil
}

// matches checks the notation the user gave (if any) against the entry's.
func (r Ref) matches(notation string) error {
	if r.Notation == "" || r.Notation == notation {
		return nil
	}
	if notation == "" {
		return invalid("%s is an incoming number without a notation, not %s", r, r.Notation)
	}
	return invalid("%s has the notation %s, not %s: check the number", r, notation, r.Notation)
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
	DocHash   string // sha256:<hex> of the numbered document, as last corrected
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
	if err != nil {
		return nil, err
	}
	if f.DocHash != "" { // the hash is recorded as a correction: compared once corrections apply
		es = slices.DeleteFunc(es, func(e Entry) bool { return e.DocHash != f.DocHash })
	}
	if f.Text == "" {
		return es, nil
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
