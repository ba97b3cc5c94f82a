package register

import (
	"context"
	"fmt"
	"sort"
)

// Finding is one result of Audit.
type Finding struct {
	Severity string `json:"severity"` // error or info
	Agency   string `json:"agency"`
	Series   string `json:"series"`
	Year     int    `json:"year"`
	Number   int    `json:"number,omitempty"`
	Kind     string `json:"kind"` // gap, duplicate, counter, date_order, void
	Message  string `json:"message"`
}

// Report is the result of Audit.
type Report struct {
	Entries  int       `json:"entries"`
	Series   int       `json:"series"`
	Findings []Finding `json:"findings"`
}

// Consistent reports whether the audit found no error (void numbers are information).
func (r Report) Consistent() bool {
	for _, f := range r.Findings {
		if f.Severity == "error" {
			return false
		}
	}
	return true
}

type seriesKey struct {
	agency, series string
	year           int
}

// Audit checks every series of the register (of year, or all years when 0): numbers start at
// 01 and have no gap, no number is used twice, the counter equals the last number, dates never
// go backwards as numbers rise; void numbers are listed.
func (s *Store) Audit(ctx context.Context, year int) (Report, error) {
	es, err := s.List(ctx, Filter{Year: year})
	if err != nil {
		return Report{}, err
	}
	counters, err := s.counters(ctx, year)
	if err != nil {
		return Report{}, err
	}
	bySeries := map[seriesKey][]Entry{}
	for _, e := range es {
		k := seriesKey{e.Agency, e.Series, e.Year}
		bySeries[k] = append(bySeries[k], e)
	}
	for k := range counters {
		if _, ok := bySeries[k]; !ok {
			bySeries[k] = nil
		}
	}
	keys := make([]seriesKey, 0, len(bySeries))
	for k := range bySeries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.agency != b.agency {
			return a.agency < b.agency
		}
		if a.year != b.year {
			return a.year < b.year
		}
		return a.series < b.series
	})
	r := Report{Entries: len(es), Series: len(keys)}
	for _, k := range keys {
		r.Findings = append(r.Findings, auditSeries(k, bySeries[k], counters[k])...)
	}
	return r, nil
}

func auditSeries(k seriesKey, es []Entry, counter int) []Finding {
	var out []Finding
	add := func(sev, kind string, n int, format string, a ...any) {
		out = append(out, Finding{Severity: sev, Agency: k.agency, Series: k.series, Year: k.year, Number: n, Kind: kind, Message: fmt.Sprintf(format, a...)})
	}
	want, lastDate := 1, ""
	for _, e := range es { // ordered by number
		switch {
		case e.Number < want:
			add("error", "duplicate", e.Number, "number %d is registered more than once", e.Number)
		case e.Number > want:
			add("error", "gap", want, "numbers %d to %d are missing", want, e.Number-1)
		}
		if e.Number >= want {
			want = e.Number + 1
		}
		if e.Void { // a void number's date does not count: it is why numbers are voided
			add("info", "void", e.Number, "number %d is void: %s", e.Number, e.VoidReason)
			continue
		}
		if e.Date < lastDate {
			add("error", "date_order", e.Number, "number %d is dated %s, before the number above it (%s)", e.Number, e.Date, lastDate)
		}
		if e.Date > lastDate {
			lastDate = e.Date
		}
	}
	if counter != want-1 {
		add("error", "counter", 0, "the counter stands at %d but the last registered number is %d", counter, want-1)
	}
	return out
}

func (s *Store) counters(ctx context.Context, year int) (map[seriesKey]int, error) {
	q := `SELECT agency, series, year, last_number FROM counters`
	var args []any
	if year != 0 {
		q += ` WHERE year = ?`
		args = append(args, year)
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, s.fail("auditing", err)
	}
	defer rows.Close()
	out := map[seriesKey]int{}
	for rows.Next() {
		var k seriesKey
		var n int
		if err := rows.Scan(&k.agency, &k.series, &k.year, &n); err != nil {
			return nil, s.fail("auditing", err)
		}
		out[k] = n
	}
	return out, s.fail("auditing", rows.Err())
}
