package verify

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/vbdt/vbdt/internal/pdf"
)

// Modification is the worst kind of change made after a signature, in increasing order.
type Modification string

const (
	ModNone Modification = "none"
	// ModLTA is validation data (/DSS), document timestamps and the document information
	// dictionary: what even DocMDP P=1 permits.
	ModLTA         Modification = "validation data and metadata"
	ModFormFill    Modification = "form filling and signatures"
	ModAnnotations Modification = "annotations"
	ModOther       Modification = "other changes"
)

// worse reports whether a is a worse modification than b.
func worse(a, b Modification) bool { return a.rank() > b.rank() }

// Worse reports whether modification a is worse than b.
func Worse(a, b Modification) bool { return worse(a, b) }

func (m Modification) rank() int {
	switch m {
	case ModLTA:
		return 1
	case ModFormFill:
		return 2
	case ModAnnotations:
		return 3
	case ModOther:
		return 4
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

// Strictness chooses between the strict reading of DocMDP that whitelist validators (EU DSS,
// pyHanko) apply and Acrobat's: the only difference vbdt knows of is a new visible signature
// field after a certification, which "P=2 permits signing" allows for Acrobat (signing any
// field) and not for strict validators (signing fields that existed).
type Strictness struct {
	// NewVisibleSignatureFields accepts new visible signature fields after a certification as
	// form filling and signing (Acrobat's reading).
	NewVisibleSignatureFields bool
}

// AnalyzeChanges classifies what was changed after each signature of the file at path, by the
// strict reading.
func AnalyzeChanges(path string) (reports []ChangeReport, err error) {
	err = withChecks(path, func(r io.ReaderAt, size int64, checks []Check) error {
		reports, err = AnalyzeChecks(r, size, checks, Strictness{})
		return err
	})
	return reports, err
}

// AnalyzeChecks judges the changes after each signature, whose integrity checks are given, of
// the document of size bytes in f. It is a whitelist: every changed object must be explained
// by a rule — a page that gained annotations, a form that gained signature fields, a field
// that was filled in or signed — or it is an "other change", which DocMDP P=1 and P=2 forbid
// and which approval signatures do not permit either. Added objects are harmless by
// themselves: what matters is which existing objects now point at them.
func AnalyzeChecks(f io.ReaderAt, size int64, checks []Check, strict Strictness) ([]ChangeReport, error) {
	certified := slices.ContainsFunc(checks, func(c Check) bool { return c.DocMDP != 0 })
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
			level, problems := classify(ch, certified, strict)
			if by := lockedBy(checks, c, ch); by != "" && level != ModNone && level != ModLTA {
				level, problems = ModOther, []string{fmt.Sprintf("field %q is locked by signature %s (FieldMDP)", ch.Field, by)}
			}
			if name := unsignedSigField(checks, c, ch); name != "" && level != ModOther {
				level, problems = ModOther, []string{fmt.Sprintf("signature field %q was changed (%v) but no signature made after this one signs it: only signing may change a signature field", name, ch.Keys)}
			}
			r.Problems = append(r.Problems, problems...)
			if worse(level, r.Worst) {
				r.Worst = level
			}
		}
		r.Allowed = permits(c.DocMDP, r.Worst)
		out = append(out, r)
	}
	return out, nil
}

// lockedBy names a signature, signed no later than c, whose FieldMDP locks the existing field a
// change touches, or "".
func lockedBy(checks []Check, c Check, ch pdf.Change) string {
	name := cmp.Or(ch.Field, ch.AppearanceOf)
	if name == "" || ch.Added {
		return ""
	}
	for _, s := range checks {
		if s.SignedSize <= c.SignedSize && s.Lock.Locks(name) {
			return s.Field
		}
	}
	return ""
}

// unsignedSigField names the existing signature field a change touches — its dictionary, its
// widget or its appearance — when no signature made after c is in that field, or "": a
// signature field may change only by being signed (a fake seal drawn into the organization's
// empty field, or a /V that is no signature, is not form filling).
func unsignedSigField(checks []Check, c Check, ch pdf.Change) string {
	name := cmp.Or(ch.Field, ch.AppearanceOf)
	if ch.FieldType != "Sig" || name == "" || ch.Added {
		return ""
	}
	for _, s := range checks {
		if s.Field == name && s.SignedSize > c.SignedSize {
			return ""
		}
	}
	return name
}

// permits says whether a signature with DocMDP permission p (0: an approval signature) permits
// changes up to worst.
func permits(p int, worst Modification) bool {
	switch p {
	case 1:
		return !worse(worst, ModLTA)
	case 2:
		return !worse(worst, ModFormFill)
	}
	return worst != ModOther // P=3 and approval signatures: also annotations
}

// Keys of existing objects that the whitelist rules let change: those that both pyHanko and
// EU DSS accept (their intersection, where they differ).
var (
	pageKeys     = []string{"Annots"}
	acroFormKeys = []string{"Fields", "DR", "DA", "NeedAppearances"} // not /SigFlags: pyHanko counts its change as suspicious
	// a form held in the catalog, and what else the catalog may gain
	catalogFormKeys = []string{"AcroForm/Fields", "AcroForm/DR", "AcroForm/DA", "AcroForm/NeedAppearances", "Metadata"}
	catalogLTAKeys  = []string{"DSS", "Extensions", "Version"}
	// an existing field filled in or signed (signature fields must gain /V)
	fillKeys   = []string{"V", "AP", "AS", "F", "DA", "Q", "Ff", "Type"}
	widgetKeys = []string{"AP", "AS"} // a field's separate widget redrawn
	// the XMP metadata stream rewritten; an appearance stream redrawn in place
	streamKeys = []string{"(stream data)", "Length", "Filter", "DecodeParms", "BBox", "Matrix", "Resources"}
)

// classify judges one change by the whitelist rules. What an object is comes from the signed
// revision (Change): the form field it belongs to, its type.
func classify(ch pdf.Change, certified bool, strict Strictness) (Modification, []string) {
	other := func(format string, a ...any) (Modification, []string) {
		return ModOther, []string{fmt.Sprintf(format, a...)}
	}
	switch {
	case ch.Type == "trailer":
		return other("the trailer's %v changed", ch.Keys)
	case ch.Deleted:
		return other("object %d (%s) was deleted", ch.Obj, ch.Type)
	case ch.Dangling:
		return other("object %d, which the signed revision referred to without having it, was added after it", ch.Obj)
	case ch.Added:
		return ModNone, nil
	case ch.Retyped:
		return other("object %d (%s) was replaced by an object of another type", ch.Obj, ch.Type)
	case (ch.Type == "Sig" || ch.Type == "DocTimeStamp") && ch.Field == "":
		return other("the signature dictionary (object %d) was rewritten after it was signed: %v — what it shows is not what was signed", ch.Obj, ch.Keys)
	case ch.Type == "Info" && !slices.Contains(ch.Keys, "(stream data)"):
		return ModLTA, nil
	case ch.Type == "DSS" && !ch.Retyped:
		return ModLTA, nil // validation data updated in place
	case ch.Type == "Array" && ch.Of == "Annots", ch.Type == "Page" && containsAll(pageKeys, ch.Keys):
		return gainedAnnots(ch, certified, strict)
	case ch.Type == "Array" && ch.Of == "Fields", ch.Type == "AcroForm" && containsAll(acroFormKeys, ch.Keys):
		return gainedFields(ch, certified, strict)
	case ch.Type == "Catalog" && containsAll(catalogLTAKeys, ch.Keys):
		return ModLTA, nil
	case ch.Type == "Catalog" && containsAll(append(catalogFormKeys, catalogLTAKeys...), ch.Keys):
		return gainedFields(ch, certified, strict)
	case ch.Type == "Metadata" && containsAll(streamKeys, ch.Keys):
		return ModFormFill, nil
	case ch.AppearanceOf != "" && containsAll(streamKeys, ch.Keys):
		if ch.WasSigned {
			return other("the appearance of signature field %q, already signed, was redrawn", ch.AppearanceOf)
		}
		return ModFormFill, nil
	case ch.Field != "":
		return fieldChange(ch)
	}
	return other("object %d (%s) changed: %v", ch.Obj, ch.Type, ch.Keys)
}

// fieldChange judges a change of a form field or of its widget, as the signed revision knew it.
func fieldChange(ch pdf.Change) (Modification, []string) {
	other := func(format string, a ...any) (Modification, []string) {
		return ModOther, []string{fmt.Sprintf(format, a...)}
	}
	switch {
	case ch.WasSigned:
		return other("signature field %q, already signed, was changed: %v", ch.Field, ch.Keys)
	case ch.Widget && !containsAll(widgetKeys, ch.Keys):
		return other("a widget of field %q changed beyond its appearance: %v", ch.Field, ch.Keys)
	case ch.Widget:
		return ModFormFill, nil
	case !containsAll(fillKeys, ch.Keys):
		return other("field %q changed beyond being filled in: %v", ch.Field, ch.Keys)
	case ch.FieldType == "Sig" && !slices.Contains(ch.Keys, "V"):
		return other("signature field %q changed without being signed: %v", ch.Field, ch.Keys)
	}
	return ModFormFill, nil
}

// newSigField judges a signature field added after the signature.
func newSigField(a pdf.Annot, certified bool, strict Strictness) (Modification, []string) {
	if a.DocTimeStamp && !a.Visible {
		return ModLTA, nil // a document timestamp: what even P=1 permits
	}
	if a.Visible && certified && !strict.NewVisibleSignatureFields {
		return ModOther, []string{fmt.Sprintf("a new visible signature field (object %d) after the certification: only fields that existed may be signed", a.Obj)}
	}
	return ModFormFill, nil
}

// gainedAnnots judges the annotations a page gained: a signature field's widget is signing,
// another field is a change of the form, any other annotation is an annotation change.
func gainedAnnots(ch pdf.Change, certified bool, strict Strictness) (Modification, []string) {
	if ch.Removed > 0 {
		return ModOther, []string{fmt.Sprintf("%d annotations were removed from page object %d", ch.Removed, ch.Obj)}
	}
	worst, problems := ModNone, []string(nil)
	for _, a := range ch.NewAnnots {
		level, p := ModAnnotations, []string{fmt.Sprintf("a %s annotation (object %d) was added", a.Subtype, a.Obj)}
		switch {
		case a.Subtype == "Widget" && a.FT == "Sig":
			level, p = newSigField(a, certified, strict)
		case a.Subtype == "Widget":
			level, p = ModOther, []string{fmt.Sprintf("a new %s field (object %d) was added: only signature fields may be", a.FT, a.Obj)}
		}
		problems = append(problems, p...)
		if worse(level, worst) {
			worst = level
		}
	}
	return floor(worst, len(ch.NewAnnots)), problems
}

// gainedFields judges the fields the form gained: signature fields only.
func gainedFields(ch pdf.Change, certified bool, strict Strictness) (Modification, []string) {
	if ch.Removed > 0 {
		return ModOther, []string{fmt.Sprintf("%d fields were removed from the form", ch.Removed)}
	}
	worst, problems := ModNone, []string(nil)
	for _, a := range ch.NewFields {
		level, p := newSigField(a, certified, strict)
		if a.FT != "Sig" {
			level, p = ModOther, []string{fmt.Sprintf("a new %s field (object %d) was added: only signature fields may be", a.FT, a.Obj)}
		}
		problems = append(problems, p...)
		if worse(level, worst) {
			worst = level
		}
	}
	return floor(worst, len(ch.NewFields)), problems
}

// floor is the level of a changed list of annotations or fields: what the items gained make
// it, or form filling when it gained none (a list rewritten the same).
func floor(worst Modification, gained int) Modification {
	if gained == 0 && !worse(worst, ModFormFill) {
		return ModFormFill
	}
	return worst
}

func containsAll(allowed, keys []string) bool {
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return false
		}
	}
	return true
}
