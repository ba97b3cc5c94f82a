package sign

import (
	"fmt"
	"io"
	"slices"

	"github.com/vbdt/vbdt/internal/pdf"
)

// Modification is the worst kind of change made after a signature, in increasing order.
type Modification string

const (
	ModNone        Modification = "none"
	ModFormFill    Modification = "form filling and signatures"
	ModAnnotations Modification = "annotations"
	ModOther       Modification = "other changes"
)

// worse reports whether a is a worse modification than b.
func worse(a, b Modification) bool { return a.rank() > b.rank() }

func (m Modification) rank() int {
	switch m {
	case ModFormFill:
		return 1
	case ModAnnotations:
		return 2
	case ModOther:
		return 3
	}
	return 0
}

// ChangeReport says what changed after one signature and whether its DocMDP allows it.
type ChangeReport struct {
	Field    string       `json:"field"`
	Worst    Modification `json:"worst"`
	Allowed  bool         `json:"allowed"`
	Problems []string     `json:"problems,omitempty"`
}

// Keys a change may touch while remaining form filling and signing (DocMDP P=2).
var (
	pageKeys     = []string{"Annots"}
	fieldKeys    = []string{"V", "AP", "AS"}
	acroFormKeys = []string{"Fields", "SigFlags", "DR", "DA"}
	catalogKeys  = []string{"AcroForm"}
)

// AnalyzeChanges classifies what was changed after each signature of the file at path.
// Added objects are harmless by themselves; what matters is which existing objects now point
// at them: pages only through new annotations, fields only through new values and appearances,
// the form only through new fields. Anything else (page contents, resources, other objects) is
// an "other change", which DocMDP P=1 and P=2 forbid.
func AnalyzeChanges(path string) ([]ChangeReport, error) {
	f, size, checks, err := openChecked(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return analyzeChanges(f, size, checks)
}

// analyzeChanges judges the changes after each signature, whose integrity checks are given, of
// the document of size bytes in f.
func analyzeChanges(f io.ReaderAt, size int64, checks []Check) ([]ChangeReport, error) {
	var out []ChangeReport
	for _, c := range checks {
		r := ChangeReport{Field: c.Field, Worst: ModNone}
		if !c.Intact {
			r.Worst, r.Problems = ModOther, []string{c.Problem}
			out = append(out, r)
			continue
		}
		if c.WholeFile {
			r.Allowed = true
			out = append(out, r)
			continue
		}
		changes, err := pdf.Changes(f, size, c.SignedSize)
		if err != nil {
			return nil, err
		}
		for _, ch := range changes {
			if ch.Added {
				if r.Worst == ModNone {
					r.Worst = ModFormFill
				}
				continue
			}
			allowed := pageKeys
			switch {
			case ch.Type == "Page":
			case ch.Field != "" || ch.Type == "Annot/Tx" || ch.Type == "Annot/Sig" || ch.Type == "Tx":
				allowed = fieldKeys
			case ch.Type == "Catalog":
				allowed = catalogKeys
			case ch.Type == "" && containsAll(acroFormKeys, ch.Keys):
				allowed = acroFormKeys // the AcroForm dictionary has no /Type
			default:
				allowed = nil
			}
			if !containsAll(allowed, ch.Keys) {
				r.Worst = ModOther
				r.Problems = append(r.Problems, fmt.Sprintf("object %d (%s) changed: %v", ch.Obj, ch.Type, ch.Keys))
				continue
			}
			level := ModFormFill
			for _, st := range ch.NewAnnots {
				if st != "Widget" { // a field's widget is form filling or signing; anything else is an annotation
					level = ModAnnotations
					r.Problems = append(r.Problems, fmt.Sprintf("page object %d gained a %s annotation", ch.Obj, st))
				}
			}
			if worse(level, r.Worst) {
				r.Worst = level
			}
		}
		switch c.DocMDP {
		case 1:
			r.Allowed = r.Worst == ModNone
		case 2:
			r.Allowed = !worse(r.Worst, ModFormFill)
		default: // P=3 and approval signatures: form filling, signing and annotations are allowed
			r.Allowed = r.Worst != ModOther
		}
		out = append(out, r)
	}
	return out, nil
}

func containsAll(allowed, keys []string) bool {
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return false
		}
	}
	return true
}
