package sign

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/verify"
	"io"
	"os"

	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/pdf"
)

// StampResult is a numbered document.
type StampResult struct {
	Method StampMethod    `json:"method"`
	Hash   string         `json:"doc_hash"` // sha256:<hex> of the numbered document, as the register records it
	Checks []verify.Check `json:"signatures"`
}

// StampMethod is how the clerk's number is added to a document.
type StampMethod string

const (
	// StampFill fills empty text fields for the number and the date that existed before the
	// signatures (the approver's, or fields named by the user): a form fill, which every
	// signature but a P=1 certification permits.
	StampFill StampMethod = "form fill"
	// StampNewFields adds two visible, unsigned signature fields showing the number and the date:
	// for a document without such text fields whose signatures are approvals only (or none).
	// After a certification strict validators reject it; it is done only when asked for.
	StampNewFields StampMethod = "new signature fields"
)

// StampOptions say where the number may go.
type StampOptions struct {
	// NumberField and DateField name empty text fields for the number and the date (default:
	// the approver's vbdt_so and vbdt_ngay).
	NumberField, DateField string
	// NewFields allows new visible signature fields after a certification (Acrobat accepts
	// them; EU DSS and pyHanko judge them an illegal change).
	NewFields bool
}

func (o StampOptions) fields() (string, string) {
	if o.NumberField == "" && o.DateField == "" {
		return nd30.NumberField, nd30.DateField
	}
	return o.NumberField, o.DateField
}

// PlanStamp picks the least intrusive way to add the clerk's number that every signature of doc
// permits, or says why there is none (*NotPermitted when the signatures or Decree 30's order
// forbid it), before any number is taken.
func PlanStamp(doc *pdf.Doc, o StampOptions) (StampMethod, error) {
	fields, err := doc.Fields()
	if err != nil {
		return "", err
	}
	have := map[string]pdf.Field{}
	for _, f := range fields {
		have[f.Name] = f
	}
	for _, name := range []string{nd30.NumberShownField, nd30.DateShownField} {
		if _, ok := have[name]; ok {
			return "", alreadyNumbered(fmt.Sprintf("it has the field %s", name))
		}
	}
	if f, ok := have[nd30.IssuerField]; ok && f.Signed {
		return "", &NotPermitted{Reason: "the organization has already sealed the document: its signature would not cover the number",
			Permission: "Decree 30 Art. 15–16: the number and the date come before the organization's seal",
			Hint:       "number the approved document before the seal (vbdt sign --role issuer after vbdt number stamp)"}
	}
	sigs, err := doc.Signatures()
	if err != nil {
		return "", err
	}
	cert := certification(sigs)
	if cert != nil && cert.DocMDP == 1 {
		return "", refuseP1(cert, "")
	}
	numberName, dateName := o.fields()
	nf, hasNumber := have[numberName]
	df, hasDate := have[dateName]
	if hasNumber || hasDate {
		for _, f := range []struct {
			name string
			fd   pdf.Field
			ok   bool
		}{{numberName, nf, hasNumber}, {dateName, df, hasDate}} {
			switch {
			case !f.ok:
				return "", fmt.Errorf("the document has a field %s but no field %s", otherName(f.name, numberName, dateName), f.name)
			case f.fd.Type != "Tx":
				return "", fmt.Errorf("field %s is not a text field", f.name)
			case f.fd.Value != "":
				return "", alreadyNumbered(fmt.Sprintf("%s = %q", f.name, f.fd.Value))
			}
		}
		for _, name := range []string{numberName, dateName} {
			if err := fieldLocked(sigs, name); err != nil {
				return "", err
			}
		}
		if numberName == nd30.NumberField {
			if err := doc.CheckFormFont(); err != nil {
				return "", fmt.Errorf("the number cannot be drawn: %w", err)
			}
		}
		return StampFill, nil
	}
	if o.NumberField != "" || o.DateField != "" {
		return "", fmt.Errorf("the document has no field %s or %s", numberName, dateName)
	}
	if cert != nil && !o.NewFields {
		return "", &NotPermitted{
			Reason:     fmt.Sprintf("signature %s certifies the document (DocMDP P=%d) and it has no empty fields for the number: the only way left is new visible signature fields, which strict validators (EU DSS, pyHanko) judge an illegal change after a certification, though Acrobat accepts it", cert.Field, cert.DocMDP),
			Permission: fmt.Sprintf("DocMDP P=%d of signature %s", cert.DocMDP, cert.Field),
			Hint:       "name its empty text fields with --number-field and --date-field, or add --new-fields to add visible fields anyway"}
	}
	return StampNewFields, nil
}

func alreadyNumbered(why string) error {
	return &NotPermitted{Reason: fmt.Sprintf("the document is already numbered (%s)", why),
		Permission: "Decree 30 Art. 15: a document is given one number"}
}

func otherName(name, a, b string) string {
	if name == a {
		return b
	}
	return a
}

// StampRequest is the clerk's numbering of one document.
type StampRequest struct {
	In, Out string // may be the same file (an atomic replace)
	// NumberLine and DateLine are the texts: "Số: 15/QĐ-UBND", "Hà Nội, ngày 05 tháng 01 năm 2026".
	NumberLine, DateLine string
	StampOptions
	// Font draws them in fields other than the approver's (whose form carries vbdt's font);
	// NumberRect and DateRect place new fields on page 1 (default: over the "Số: …" and
	// "ngày … tháng … năm …" placeholders, else where Decree 30 puts them).
	Font                 *pdf.Font
	NumberRect, DateRect *pdf.Rect
}

// Stamp adds the number and date to req.In as PlanStamp decides and writes req.Out atomically,
// after checking that every earlier signature still verifies and permits the change; if not,
// nothing is written. With no Out it rehearses: everything is done and checked but the
// writing, so that a number is taken only when the stamp is known to work.
func Stamp(req StampRequest) (*StampResult, error) {
	doc, err := pdf.OpenFile(req.In)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.In, err)
	}
	defer doc.Close()
	method, err := PlanStamp(doc, req.StampOptions)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.In, err)
	}
	inc := doc.NewIncrement()
	switch method {
	case StampFill:
		numberName, dateName := req.fields()
		font := req.Font
		if numberName == nd30.NumberField {
			font = nil // the approver's form font
		} else if font == nil {
			return nil, errors.New("the number needs a font to fill fields vbdt did not make")
		}
		if err := inc.FillText(numberName, req.NumberLine, font); err != nil {
			return nil, err
		}
		if err := inc.FillText(dateName, req.DateLine, font); err != nil {
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
		}{{nd30.NumberShownField, req.NumberLine, numberRect}, {nd30.DateShownField, req.DateLine, dateRect}} {
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
	strict := verify.Strictness{NewVisibleSignatureFields: req.NewFields}
	if req.Out == "" { // a rehearsal: everything but the writing
		checks, err := recheck(appended{doc.ReaderAt(), doc.Size(), w.Bytes}, doc.Size()+int64(len(w.Bytes)), strict)
		if err != nil {
			return nil, err
		}
		return &StampResult{Method: method, Checks: checks}, nil
	}
	src, err := doc.Original()
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	var checks []verify.Check
	err = fsutil.Replace(req.Out, 0o644, func(f *os.File) error {
		mw := io.MultiWriter(f, h)
		if _, err := io.Copy(mw, src); err != nil {
			return err
		}
		if _, err := mw.Write(w.Bytes); err != nil {
			return err
		}
		checks, err = recheck(f, doc.Size()+int64(len(w.Bytes)), strict)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &StampResult{Method: method, Hash: "sha256:" + hex.EncodeToString(h.Sum(nil)), Checks: checks}, nil
}
