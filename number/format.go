package number

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the form of a notation (DOMAIN.md §2).
type Kind string

const (
	KindTyped  Kind = "typed"  // a document with a type name: QĐ-UBND
	KindLetter Kind = "letter" // công văn: UBND-VP (agency, then drafting unit)
	KindCopy   Kind = "copy"   // a copy: SY-UBND
	KindLegal  Kind = "legal"  // legal-normative: 09/2025/QĐ-TTg
)

// Limits of Decree 30 Appendix VI.
const (
	MaxCodeNumber   = 11 // characters of CodeNumber
	MaxCodeNotation = 30 // characters of CodeNotation
)

// Code is a document's number and notation, e.g. 15/QĐ-UBND or 09/2025/QĐ-TTg.
type Code struct {
	Number   int
	Year     int    // only for legal-normative documents (0 otherwise)
	Notation string // QĐ-UBND
}

// FormatNumber writes n with a leading zero below 10: 01 … 09, 10, 11, 100 (no other padding).
func FormatNumber(n int) string {
	if n < 10 {
		return fmt.Sprintf("%02d", n)
	}
	return strconv.Itoa(n)
}

// String is the canonical "15/QĐ-UBND" (or "09/2025/QĐ-TTg").
func (c Code) String() string {
	if c.Year != 0 {
		return fmt.Sprintf("%s/%d/%s", FormatNumber(c.Number), c.Year, c.Notation)
	}
	return FormatNumber(c.Number) + "/" + c.Notation
}

// NumberText is the CodeNumber field: the formatted number (with its year for legal documents).
func (c Code) NumberText() string {
	if c.Year != 0 {
		return fmt.Sprintf("%s/%d", FormatNumber(c.Number), c.Year)
	}
	return FormatNumber(c.Number)
}

// NotationRequest describes a notation to build.
type NotationRequest struct {
	Kind   Kind
	Type   string // type abbreviation (typed, copy, legal); ignored for letters
	Issuer string // the agency (or advisory body, or state title) abbreviation: UBND, TTg
	Unit   string // the drafting unit, for công văn: VP
}

var group = regexp.MustCompile(`^[\p{L}\p{N}]+$`)

// Notation builds a notation from its parts and checks them against the rules.
func Notation(r NotationRequest) (string, error) {
	if !group.MatchString(r.Issuer) {
		return "", fmt.Errorf("issuer abbreviation %q must be letters and digits (e.g. UBND)", r.Issuer)
	}
	var parts []string
	switch r.Kind {
	case KindTyped, KindCopy:
		t, ok := LookupType(r.Type)
		switch {
		case !ok:
			return "", unknownType(appendixIII, r.Type)
		case t.Abbr == LetterAbbr:
			return "", fmt.Errorf("công văn has no type abbreviation: use the letter form <agency>-<unit>")
		case IsCopy(t.Abbr) != (r.Kind == KindCopy):
			return "", fmt.Errorf("%s (%s) is %sa copy form", t.Abbr, t.Name, map[bool]string{true: "", false: "not "}[IsCopy(t.Abbr)])
		}
		parts = []string{t.Abbr, r.Issuer}
	case KindLegal:
		if _, ok := LookupLegalType(r.Type); !ok {
			return "", unknownType(legalTypes, r.Type)
		}
		parts = []string{r.Type, r.Issuer}
	case KindLetter:
		if !group.MatchString(r.Unit) {
			return "", fmt.Errorf("công văn needs the drafting unit's abbreviation (e.g. VP), not %q", r.Unit)
		}
		parts = []string{r.Issuer, r.Unit}
	default:
		return "", fmt.Errorf("unknown notation kind %q", r.Kind)
	}
	n := strings.Join(parts, "-")
	if utf8.RuneCountInString(n) > MaxCodeNotation {
		return "", fmt.Errorf("notation %q is longer than %d characters (Decree 30 Appendix VI)", n, MaxCodeNotation)
	}
	return n, nil
}

func unknownType(table []DocType, abbr string) error {
	if s := suggest(table, abbr); s != "" {
		return fmt.Errorf("unknown document type %q: did you mean %q? (abbreviations keep their exact case)", abbr, s)
	}
	return fmt.Errorf("unknown document type %q (Decree 30 Appendix III: %s; CV for công văn)", abbr, abbrList(table))
}

func abbrList(table []DocType) string {
	var s []string
	for _, t := range table {
		s = append(s, t.Abbr)
	}
	return strings.Join(s, ", ")
}

// ErrMalformed marks input that does not have the shape of what was parsed.
var ErrMalformed = errors.New("malformed")

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, a...)...)
}

var codeRE = regexp.MustCompile(`^(?:Số:?\s*)?(\d{1,11})/(?:(\d{4})/)?([\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)+)$`)

// ParseCode reads "15/QĐ-UBND", "Số: 15/QĐ-UBND" or "09/2025/QĐ-TTg". A number without its
// leading zero (5/QĐ-UBND, as some systems send it) is accepted; String gives the canonical form.
func ParseCode(s string) (Code, error) {
	m := codeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Code{}, malformed("%q is not a number and notation like 15/QĐ-UBND", s)
	}
	n, _ := strconv.Atoi(m[1])
	if n < 1 {
		return Code{}, malformed("%q: numbers start at 01", s)
	}
	c := Code{Number: n, Notation: m[3]}
	if m[2] != "" {
		c.Year, _ = strconv.Atoi(m[2])
		if c.Year < 1945 { // legal documents of the Democratic Republic of Vietnam and later
			return Code{}, malformed("%q: %s is not a year of a legal document", s, m[2])
		}
	}
	if utf8.RuneCountInString(c.Notation) > MaxCodeNotation {
		return Code{}, malformed("%q: notation longer than %d characters", s, MaxCodeNotation)
	}
	return c, nil
}

// Parts splits a code's notation back into its meaning.
func (c Code) Parts() (NotationRequest, error) {
	groups := strings.Split(c.Notation, "-")
	if len(groups) < 2 {
		return NotationRequest{}, malformed("notation %q has fewer than two groups", c.Notation)
	}
	first, rest := groups[0], strings.Join(groups[1:], "-")
	switch {
	case c.Year != 0:
		return NotationRequest{Kind: KindLegal, Type: first, Issuer: rest}, nil
	case IsCopy(first):
		return NotationRequest{Kind: KindCopy, Type: first, Issuer: rest}, nil
	}
	if t, ok := LookupType(first); ok && t.Abbr != LetterAbbr {
		return NotationRequest{Kind: KindTyped, Type: first, Issuer: rest}, nil
	}
	return NotationRequest{Kind: KindLetter, Issuer: first, Unit: rest}, nil
}

// DateLine writes the place-and-date line: "Hà Nội, ngày 05 tháng 01 năm 2026". Days below 10
// and the months January and February take a leading zero; other months do not.
func DateLine(place string, d time.Time) string {
	return fmt.Sprintf("%s, ngày %02d tháng %s năm %d", place, d.Day(), monthText(d.Month()), d.Year())
}

func monthText(m time.Month) string {
	if m <= 2 {
		return fmt.Sprintf("%02d", int(m))
	}
	return strconv.Itoa(int(m))
}

var dateLineRE = regexp.MustCompile(`^(.+?),\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})$`)

// ParseDateLine reads a place-and-date line back into the place and the date (midnight in loc).
func ParseDateLine(s string, loc *time.Location) (place string, d time.Time, err error) {
	m := dateLineRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", time.Time{}, malformed("%q is not a date line like \"Hà Nội, ngày 05 tháng 01 năm 2026\"", s)
	}
	day, _ := strconv.Atoi(m[2])
	month, _ := strconv.Atoi(m[3])
	year, _ := strconv.Atoi(m[4])
	d, err = civilDate(year, month, day, loc)
	if err != nil {
		return "", time.Time{}, malformed("%q: %v", s, err)
	}
	return m[1], d, nil
}

func civilDate(year, month, day int, loc *time.Location) (time.Time, error) {
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc)
	if d.Year() != year || int(d.Month()) != month || d.Day() != day {
		return time.Time{}, fmt.Errorf("%04d-%02d-%02d is not a date", year, month, day)
	}
	return d, nil
}

// EdXML date format.
const edxmlDate = "2006/01/02"

var edxmlDateRE = regexp.MustCompile(`^\d{4}/\d{2}/\d{2}$`)

// DocumentID is the edXML DocumentId: <OrganId>,<yyyy/MM/dd>,<number>/<notation>.
func DocumentID(organID string, promulgated time.Time, c Code) string {
	return organID + "," + promulgated.Format(edxmlDate) + "," + c.String()
}

// ParseDocumentID reads a canonical DocumentId. Some gateways send other strings (UUIDs):
// callers that only pass them on should keep the raw string.
func ParseDocumentID(s string, loc *time.Location) (organID string, promulgated time.Time, c Code, err error) {
	parts := strings.SplitN(s, ",", 3)
	if len(parts) != 3 || parts[0] == "" {
		return "", time.Time{}, Code{}, malformed("DocumentId %q is not <OrganId>,<yyyy/MM/dd>,<number>/<notation>", s)
	}
	if !edxmlDateRE.MatchString(parts[1]) {
		return "", time.Time{}, Code{}, malformed("DocumentId %q: date %q is not yyyy/MM/dd", s, parts[1])
	}
	y, _ := strconv.Atoi(parts[1][:4])
	mo, _ := strconv.Atoi(parts[1][5:7])
	d, _ := strconv.Atoi(parts[1][8:])
	if promulgated, err = civilDate(y, mo, d, loc); err != nil {
		return "", time.Time{}, Code{}, malformed("DocumentId %q: %v", s, err)
	}
	if c, err = ParseCode(parts[2]); err != nil {
		return "", time.Time{}, Code{}, err
	}
	return parts[0], promulgated, c, nil
}

// YearOf is the numbering year of an instant: the calendar year in the agency's time zone.
// 23:30 on 31 December in Hà Nội (16:30 UTC) belongs to that year, 00:10 on 1 January to the next.
func YearOf(t time.Time, loc *time.Location) int { return t.In(loc).Year() }
