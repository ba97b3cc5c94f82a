package sign

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/pdf"
)

// StampResult is a numbered document.
type StampResult struct {
	Method StampMethod `json:"method"`
	Hash   string      `json:"hash"` // sha256:<hex> of the numbered document
	Checks []Check     `json:"signatures"`
}

// StampMethod is how the clerk's number is added to a document.
type StampMethod string

const (
	// StampFill fills the empty number and date fields the approver's signature created: a form
	// fill, which its DocMDP P=2 certification permits.
	StampFill StampMethod = "form fill"
	// StampNewFields adds two visible, unsigned signature fields showing the number and the date,
	// for a document without those fields whose signatures allow new signature fields
	// (approval signatures, or a certification with P=2 or P=3).
	StampNewFields StampMethod = "new signature fields"
)

// Names of the signature fields that show the number on a document without the approver's fields.
const (
	NumberShownField = "vbdt_so_hien_thi"
	DateShownField   = "vbdt_ngay_hien_thi"
)

// PlanStamp picks the least intrusive way to add the clerk's number that every signature of doc
// permits, or says why there is none.
func PlanStamp(doc *pdf.Doc) (StampMethod, error) {
	fields, err := doc.Fields()
	if err != nil {
		return "", err
	}
	have := map[string]pdf.Field{}
	for _, f := range fields {
		have[f.Name] = f
	}
	for _, name := range []string{NumberShownField, DateShownField} {
		if _, ok := have[name]; ok {
			return "", fmt.Errorf("the document is already numbered (it has the field %s)", name)
		}
	}
	sigs, err := doc.Signatures()
	if err != nil {
		return "", err
	}
	for _, s := range sigs {
		if s.DocMDP == 1 {
			return "", fmt.Errorf("signature %s certifies the document with DocMDP P=1: no change at all is allowed", s.Field)
		}
	}
	_, hasNumber := have[NumberField]
	_, hasDate := have[DateField]
	if !hasNumber && !hasDate {
		return StampNewFields, nil
	}
	for _, name := range []string{NumberField, DateField} {
		f, ok := have[name]
		if !ok {
			return "", fmt.Errorf("the document has %s but no %s field: it was not prepared by vbdt sign --role approver", otherField(name), name)
		}
		if f.Value != "" {
			return "", fmt.Errorf("the document is already numbered (%s = %q)", name, f.Value)
		}
	}
	if err := doc.CheckFormFont(); err != nil {
		return "", fmt.Errorf("the number cannot be drawn: %w", err)
	}
	return StampFill, nil
}

func otherField(name string) string {
	if name == NumberField {
		return DateField
	}
	return NumberField
}

// StampRequest is the clerk's numbering of one document.
type StampRequest struct {
	In, Out string // may be the same file (an atomic replace)
	// NumberLine and DateLine are the texts: "Số: 15/QĐ-UBND", "Hà Nội, ngày 05 tháng 01 năm 2026".
	NumberLine, DateLine string
	// Font draws them when new fields are needed (StampNewFields); NumberRect and DateRect place
	// them on page 1 (default: over the "Số: …" and "ngày … tháng … năm …" placeholders, else
	// where Decree 30 puts them).
	Font                 *pdf.Font
	NumberRect, DateRect *pdf.Rect
}

// Stamp adds the number and date to req.In as PlanStamp decides and writes req.Out atomically,
// after checking that every earlier signature still verifies and permits the change; if not,
// nothing is written.
func Stamp(req StampRequest) (*StampResult, error) {
	doc, err := pdf.OpenFile(req.In)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.In, err)
	}
	defer doc.Close()
	method, err := PlanStamp(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.In, err)
	}
	inc := doc.NewIncrement()
	switch method {
	case StampFill:
		if err := inc.FillText(NumberField, req.NumberLine); err != nil {
			return nil, err
		}
		if err := inc.FillText(DateField, req.DateLine); err != nil {
			return nil, err
		}
	case StampNewFields:
		if req.Font == nil {
			return nil, errors.New("the number needs a font on a document without the approver's fields")
		}
		numberRect, dateRect, err := headerRects(doc, req.NumberRect, req.DateRect)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			name, text string
			rect       pdf.Rect
		}{{NumberShownField, req.NumberLine, numberRect}, {DateShownField, req.DateLine, dateRect}} {
			field := pdf.SignatureField{Name: f.name, Page: 1, Rect: f.rect, Appearance: pdf.Line(req.Font, f.text, f.rect)}
			if err := inc.AddUnsignedSignature(field); err != nil {
				return nil, err
			}
		}
	}
	w, err := inc.Bytes()
	if err != nil {
		return nil, err
	}
	src, err := doc.Original()
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	var checks []Check
	err = fsutil.Replace(req.Out, 0o644, func(f *os.File) error {
		mw := io.MultiWriter(f, h)
		if _, err := io.Copy(mw, src); err != nil {
			return err
		}
		if _, err := mw.Write(w.Bytes); err != nil {
			return err
		}
		size := doc.Size() + int64(len(w.Bytes))
		if checks, err = CheckReader(f, size); err != nil {
			return err
		}
		for _, c := range checks {
			if !c.Intact {
				return fmt.Errorf("after numbering, signature %s no longer verifies (%s): nothing was written", c.Field, c.Problem)
			}
		}
		reports, err := analyzeChanges(f, size, checks)
		if err != nil {
			return err
		}
		for _, r := range reports {
			if !r.Allowed {
				return fmt.Errorf("numbering would be a change signature %s does not permit (%s): nothing was written", r.Field, r.Worst)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &StampResult{Method: method, Hash: "sha256:" + hex.EncodeToString(h.Sum(nil)), Checks: checks}, nil
}
