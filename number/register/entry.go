// Package register is the document register (sổ văn bản đi, sổ văn bản đến): it hands out the
// next number of a series and records the document in one transaction, so that concurrent
// clerks — threads, processes, machines — never get the same number and never leave a gap. It is
// append-only: voiding and corrections are amendment rows that reference the entry, with who and
// when. Storage is embedded SQLite by default, PostgreSQL when a register is shared.
package register

import (
	"errors"
	"fmt"
	"time"

	"github.com/vbdt/vbdt/number"
)

// Direction says whether an entry is an outgoing document (văn bản đi) or an incoming one (đến).
type Direction string

const (
	Outgoing Direction = "outgoing"
	Incoming Direction = "incoming"
)

// Entry is one registered document, with its amendments applied.
type Entry struct {
	ID        int64     `json:"id"`
	Agency    string    `json:"agency"`
	Series    string    `json:"series"`
	Direction Direction `json:"direction"`
	Year      int       `json:"year"`
	Number    int       `json:"number"`
	Notation  string    `json:"notation,omitempty"` // outgoing only
	Code      string    `json:"code"`               // as handed out: 15/QĐ-UBND, 09/2026/QĐ-TTg; for incoming the số đến, 07
	Type      string    `json:"type,omitempty"`     // abbreviation (CV for công văn)
	TypeName  string    `json:"type_name,omitempty"`
	Subject   string    `json:"subject"`
	Signer    string    `json:"signer,omitempty"`
	// Recipients are the "Nơi nhận" lines (outgoing).
	Recipients []string `json:"recipients,omitempty"`
	// Date is the document's date (outgoing) or the day it arrived (incoming), yyyy-mm-dd in
	// the agency's time zone.
	Date        string    `json:"date"`
	Copies      int       `json:"copies,omitempty"`       // số lượng bản
	ArchiveUnit string    `json:"archive_unit,omitempty"` // đơn vị, người nhận bản lưu
	Handler     string    `json:"handler,omitempty"`      // incoming: đơn vị, người nhận
	Note        string    `json:"note,omitempty"`
	DocHash     string    `json:"doc_hash,omitempty"` // sha256:<hex> of the numbered document
	Sender      *Sender   `json:"sender,omitempty"`   // incoming
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	Void        bool      `json:"void"`
	VoidReason  string    `json:"void_reason,omitempty"`
	// History lists the amendments in the order they were made.
	History []Amendment `json:"history,omitempty"`
}

// Sender describes an incoming document as its sender numbered it.
type Sender struct {
	Organ      string `json:"organ"`
	OrganID    string `json:"organ_id,omitempty"`
	Code       string `json:"code,omitempty"`        // their number/notation, as they wrote it
	Date       string `json:"date,omitempty"`        // their document date, yyyy-mm-dd
	DocumentID string `json:"document_id,omitempty"` // edXML DocumentId, as received
}

// Amendment is a change to an entry: a void, a correction of one field, or a recorded hash.
type Amendment struct {
	ID     int64     `json:"id"`
	Action string    `json:"action"` // void, correct
	Field  string    `json:"field,omitempty"`
	Value  string    `json:"value,omitempty"`
	Old    string    `json:"old,omitempty"` // the value before this correction (derived, not stored)
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Correctable lists the fields a correction may change. The number, notation, series and year
// are the entry's identity and never change: a wrong number is voided and a new one issued.
var Correctable = []string{"subject", "signer", "recipients", "date", "copies", "archive_unit", "handler", "note", "doc_hash"}

// Ref names an entry: a number of a series in a year.
type Ref struct {
	Series string
	Year   int
	Number int
	// Notation, when set, must be the entry's: voiding 01/QĐ-KHAC never voids 01/QĐ-UBND.
	Notation string
}

func (r Ref) String() string {
	return fmt.Sprintf("%s %s/%d", r.Series, number.FormatNumber(r.Number), r.Year)
}

var (
	// ErrUnavailable: the register cannot be reached, is locked beyond the wait, or is read-only.
	ErrUnavailable = errors.New("register unavailable")
	// ErrNotFound: no entry with that number.
	ErrNotFound = errors.New("no such entry")
	// ErrInvalid: the request breaks a rule (empty subject, a date outside the year, …).
	ErrInvalid = errors.New("invalid request")
)

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
}

// wrapErr marks err with kind unless it already carries one.
func wrapErr(kind error, err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) {
		return err
	}
	return fmt.Errorf("%w: %w", kind, err)
}
