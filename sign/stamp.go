package sign

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/pdf"
)

// StampResult is a numbered document.
type StampResult struct {
	Hash   string  `json:"hash"` // sha256:<hex> of the numbered document
	Checks []Check `json:"signatures"`
}

// CanStamp says why the document cannot take the clerk's number as a form fill, or nil: it must
// have the approver's empty number and date fields, and no certification that forbids filling.
func CanStamp(doc *pdf.Doc) error {
	fields, err := doc.Fields()
	if err != nil {
		return err
	}
	have := map[string]pdf.Field{}
	for _, f := range fields {
		have[f.Name] = f
	}
	for _, name := range []string{NumberField, DateField} {
		f, ok := have[name]
		if !ok {
			return fmt.Errorf("the document has no %s field: the approver did not sign it with vbdt sign --role approver, "+
				"so the number cannot be added as a permitted form fill (issue the number before the approver signs instead)", name)
		}
		if f.Value != "" {
			return fmt.Errorf("the document is already numbered (%s = %q)", name, f.Value)
		}
	}
	if err := doc.CheckFormFont(); err != nil {
		return fmt.Errorf("the number cannot be drawn: %w", err)
	}
	sigs, err := doc.Signatures()
	if err != nil {
		return err
	}
	for _, s := range sigs {
		if s.DocMDP == 1 {
			return fmt.Errorf("signature %s certifies the document with DocMDP P=1: no change at all is allowed", s.Field)
		}
	}
	return nil
}

// Stamp fills the number and date fields of in and writes out atomically (in and out may be
// the same file), after checking that every earlier signature still verifies and permits the
// change (DocMDP); if not, nothing is written.
func Stamp(in, out, numberLine, dateLine string) (*StampResult, error) {
	doc, err := pdf.OpenFile(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	defer doc.Close()
	if err := CanStamp(doc); err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	inc := doc.NewIncrement()
	if err := inc.FillText(NumberField, numberLine); err != nil {
		return nil, err
	}
	if err := inc.FillText(DateField, dateLine); err != nil {
		return nil, err
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
	err = fsutil.Replace(out, 0o644, func(f *os.File) error {
		mw := io.MultiWriter(f, h)
		if _, err := io.Copy(mw, src); err != nil {
			return err
		}
		if _, err := mw.Write(w.Bytes); err != nil {
			return err
		}
		if checks, err = CheckFile(f.Name()); err != nil {
			return err
		}
		for _, c := range checks {
			if !c.Intact {
				return fmt.Errorf("after numbering, signature %s no longer verifies (%s): nothing was written", c.Field, c.Problem)
			}
		}
		reports, err := analyzeChanges(f.Name(), checks)
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
	return &StampResult{Hash: "sha256:" + hex.EncodeToString(h.Sum(nil)), Checks: checks}, nil
}
