package convert

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"unicode/utf8"
)

// Profile is a named set of digitization rules a document is checked against.
type Profile string

const (
	// ProfileND30 is Decree 30/2020/NĐ-CP (Appendix I and VI): PDF 1.4 or later, colour, at
	// least 200 dpi, the document metadata of Appendix VI.
	ProfileND30 Profile = "nd30"
	// ProfileTT02 is Circular 02/2019/TT-BNV: Decree 30's rules and its added metadata.
	ProfileTT02 Profile = "tt02-2019"
)

// Profiles lists the profiles.
var Profiles = []Profile{ProfileND30, ProfileTT02}

// Problem is a way a document does not meet its profile, or an input's oddity.
type Problem struct {
	Severity string `json:"severity"` // "error" (does not conform) or "warning"
	Code     string `json:"code"`
	Text     string `json:"text"`
}

// minDPI is the digitization rules' resolution.
const minDPI = 200

// Field lengths of a document's metadata (Decree 30 Appendix VI; 02/2019 adds the rest).
var fieldLengths = map[Profile]map[string]int{
	ProfileND30: {"TypeName": 100, "CodeNumber": 11, "CodeNotation": 30, "OrganName": 200, "Subject": 500,
		"Language": 50, "Description": 500},
	ProfileTT02: {"TypeName": 100, "CodeNumber": 11, "CodeNotation": 30, "OrganName": 200, "Subject": 500,
		"Language": 50, "Description": 500, "InforSign": 30, "Keyword": 100, "Mode": 20, "ConfidenceLevel": 30,
		"Autograph": 2000, "Format": 50},
}

// Check lists where document d, made of images, does not meet profile p. Nothing is ever
// "fixed": a bilevel scan stays bilevel and is reported not colour.
func (p Profile) Check(d Document, pages Stats, r *Result) []Problem {
	var out []Problem
	add := func(sev, code, format string, a ...any) {
		out = append(out, Problem{Severity: sev, Code: code, Text: fmt.Sprintf(format, a...)})
	}
	for _, pr := range pages.Problems {
		add("warning", "image", "%s", pr)
	}
	switch {
	case pages.Pages > 0 && pages.LowestDPI == 0:
		add("error", "low-dpi", "a page gives no resolution (DPI) and none was configured (--dpi): the rules ask for at least %d", minDPI)
	case math.Round(pages.LowestDPI) < minDPI: // whole dpi: PNG's pixels per metre make 200 dpi 199.9996
		add("error", "low-dpi", "a page is scanned at %g dpi: the rules ask for at least %d", pages.LowestDPI, minDPI)
	}
	if pages.NotColour > 0 {
		add("error", "not-colour", "%d of %d pages are not colour (bilevel or gray scans are converted as they are; the rules ask for colour)", pages.NotColour, pages.Pages)
	}
	if n := utf8.RuneCountInString(d.FileCode); n > 13+4+20+2 {
		add("error", "file-code", "the file code %q has %d characters: OrganId (13) + FileCatalog (4) + FileNotation (20) at most", d.FileCode, n)
	}
	if d.Ordinal > 999 {
		add("error", "ordinal", "document ordinal %d has more than 3 digits", d.Ordinal)
	}
	if r.Pages > 9999 {
		add("error", "page-amount", "%d pages: PageAmount has 4 digits", r.Pages)
	}
	lengths := fieldLengths[p]
	var names []string
	for name := range d.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		limit, known := lengths[name]
		switch n := utf8.RuneCountInString(d.Fields[name]); {
		case !known && !slices.Contains(extraFields, name):
			add("warning", "unknown-field", "metadata field %s is not one of the profile's", name)
		case known && n > limit:
			add("error", "field-length", "metadata field %s has %d characters, more than %d: it is kept whole, not truncated", name, n, limit)
		}
	}
	return out
}

// extraFields are manifest columns that are not document fields of a profile but are known.
var extraFields = []string{"IssuedDate", "Title"}
