package number

import (
	"fmt"
	"slices"
	"strings"
)

// SeriesKind says what a number series is for (DOMAIN.md §2: separate series).
type SeriesKind string

const (
	SeriesOutgoing SeriesKind = "outgoing" // administrative documents (one shared series, or one per type)
	SeriesSecret   SeriesKind = "secret"   // văn bản mật
	SeriesBody     SeriesKind = "body"     // an advisory body (Hội đồng, Ban, Tổ) issuing under the agency's seal
	SeriesCopy     SeriesKind = "copy"     // SY, SL, TrS share one series
	SeriesLegal    SeriesKind = "legal"    // one legal-normative type
	SeriesIncoming SeriesKind = "incoming" // số đến
)

// Series is one numbering sequence, restarting every calendar year.
type Series struct {
	Name  string     `yaml:"name" json:"name"`
	Kind  SeriesKind `yaml:"kind" json:"kind"`
	Types []string   `yaml:"types,omitempty" json:"types,omitempty"` // abbreviations it numbers (CV = công văn); empty = every administrative type
	// Issuer replaces the agency abbreviation in notations: an advisory body's own
	// abbreviation, or a state title (TTg).
	Issuer string `yaml:"issuer,omitempty" json:"issuer,omitempty"`
}

// DefaultSeries is used when vbdt.yaml defines none: every administrative type and công văn
// share one series, copies have theirs, incoming documents theirs.
func DefaultSeries() []Series {
	return []Series{
		{Name: "chung", Kind: SeriesOutgoing},
		{Name: "sao", Kind: SeriesCopy, Types: slices.Clone(CopyAbbrs)},
		{Name: "den", Kind: SeriesIncoming},
	}
}

// Numbering is an agency's set of series.
type Numbering struct {
	Series []Series
}

// Validate checks the series: unique names, known kinds and types, at most one incoming series,
// and no administrative type numbered by two series that vbdt would choose between.
func (n Numbering) Validate() error {
	names := map[string]bool{}
	implicit := map[string]string{} // type -> series, for the series chosen without --series
	incoming := 0
	for _, s := range n.Series {
		if s.Name == "" || strings.ContainsAny(s.Name, " /\t") {
			return fmt.Errorf("series name %q must be one word (e.g. chung, mat, sao)", s.Name)
		}
		if names[s.Name] {
			return fmt.Errorf("series %q is defined twice", s.Name)
		}
		names[s.Name] = true
		switch s.Kind {
		case SeriesIncoming:
			incoming++
			if len(s.Types) > 0 {
				return fmt.Errorf("series %q: an incoming series takes no types", s.Name)
			}
		case SeriesLegal:
			if len(s.Types) != 1 {
				return fmt.Errorf("series %q: a legal-normative series numbers exactly one type", s.Name)
			}
			if _, ok := LookupLegalType(s.Types[0]); !ok {
				return fmt.Errorf("series %q: %w", s.Name, unknownType(legalTypes, s.Types[0]))
			}
		case SeriesCopy:
			for _, t := range s.Types {
				if !IsCopy(t) {
					return fmt.Errorf("series %q: %s is not a copy form (SY, SL, TrS)", s.Name, t)
				}
			}
		case SeriesOutgoing, SeriesSecret, SeriesBody:
			for _, t := range s.Types {
				if _, ok := LookupType(t); !ok {
					return fmt.Errorf("series %q: %w", s.Name, unknownType(appendixIII, t))
				}
				if IsCopy(t) {
					return fmt.Errorf("series %q: copies (%s) belong in a series of kind copy", s.Name, t)
				}
			}
		default:
			return fmt.Errorf("series %q: unknown kind %q (outgoing, secret, body, copy, legal, incoming)", s.Name, s.Kind)
		}
		if s.Kind == SeriesOutgoing || s.Kind == SeriesCopy {
			for _, t := range s.Types {
				if other, dup := implicit[t]; dup {
					return fmt.Errorf("type %s is numbered by both series %q and %q", t, other, s.Name)
				}
				implicit[t] = s.Name
			}
		}
	}
	if incoming > 1 {
		return fmt.Errorf("only one incoming series (số đến) is allowed")
	}
	return nil
}

// Find returns the series called name.
func (n Numbering) Find(name string) (Series, error) {
	for _, s := range n.Series {
		if s.Name == name {
			return s, nil
		}
	}
	return Series{}, fmt.Errorf("no series %q (series: %s)", name, strings.Join(n.names(), ", "))
}

func (n Numbering) names() []string {
	var out []string
	for _, s := range n.Series {
		out = append(out, s.Name)
	}
	return out
}

// Numbers reports whether the series numbers documents of type abbr.
func (s Series) Numbers(abbr string) bool {
	switch s.Kind {
	case SeriesIncoming:
		return false
	case SeriesLegal:
		return slices.Contains(s.Types, abbr)
	case SeriesCopy:
		return IsCopy(abbr) && (len(s.Types) == 0 || slices.Contains(s.Types, abbr))
	}
	return !IsCopy(abbr) && (len(s.Types) == 0 || slices.Contains(s.Types, abbr))
}

// ForType picks the series of an outgoing document of type abbr: the named one (which must
// number that type), else the outgoing or copy series that lists the type, else the outgoing or
// copy series that takes every type. Secret, advisory-body and legal series are only used when
// named: choosing them must be deliberate.
func (n Numbering) ForType(abbr, name string) (Series, error) {
	if name != "" {
		s, err := n.Find(name)
		if err != nil {
			return Series{}, err
		}
		if !s.Numbers(abbr) {
			return Series{}, fmt.Errorf("series %q does not number %s documents", s.Name, abbr)
		}
		return s, nil
	}
	var catchAll *Series
	for i, s := range n.Series {
		if s.Kind != SeriesOutgoing && s.Kind != SeriesCopy {
			continue
		}
		if slices.Contains(s.Types, abbr) {
			return s, nil
		}
		if len(s.Types) == 0 && s.Numbers(abbr) && catchAll == nil {
			catchAll = &n.Series[i]
		}
	}
	if catchAll != nil {
		return *catchAll, nil
	}
	return Series{}, fmt.Errorf("no series numbers %s documents: name one with --series (series: %s)", abbr, strings.Join(n.names(), ", "))
}

// Incoming returns the incoming series.
func (n Numbering) Incoming() (Series, error) {
	for _, s := range n.Series {
		if s.Kind == SeriesIncoming {
			return s, nil
		}
	}
	return Series{}, fmt.Errorf("no incoming series (kind: incoming) is configured")
}

// NotationFor builds the notation of a document of type abbr numbered in s for an agency with
// abbreviation agency (unit: the drafting unit, for công văn).
func (s Series) NotationFor(abbr, agency, unit string) (string, error) {
	issuer := agency
	if s.Issuer != "" {
		issuer = s.Issuer
	}
	switch {
	case s.Kind == SeriesLegal:
		return Notation(NotationRequest{Kind: KindLegal, Type: abbr, Issuer: issuer})
	case abbr == LetterAbbr:
		return Notation(NotationRequest{Kind: KindLetter, Issuer: issuer, Unit: unit})
	case IsCopy(abbr):
		return Notation(NotationRequest{Kind: KindCopy, Type: abbr, Issuer: issuer})
	}
	return Notation(NotationRequest{Kind: KindTyped, Type: abbr, Issuer: issuer})
}
