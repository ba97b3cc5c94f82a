package sign

import (
	"fmt"
	"github.com/vbdt/vbdt/verify"
	"io"
	"strings"

	"github.com/vbdt/vbdt/internal/pdf"
)

// NotPermitted is a change that a document's signatures, or Decree 30's order of steps, do not
// permit: vbdt refuses it before anything is written or a number is taken.
type NotPermitted struct {
	Reason     string // what was refused and why
	Permission string // what forbids it: "DocMDP P=1 of signature vbdt_approver"
	Hint       string // what the user can do instead, or ""
}

func (e *NotPermitted) Error() string { return e.Reason }

// certification returns the document's certification signature (the one with DocMDP), or nil.
func certification(sigs []pdf.Signature) *pdf.Signature {
	for i := range sigs {
		if sigs[i].DocMDP != 0 {
			return &sigs[i]
		}
	}
	return nil
}

// checkPermits refuses a signature that the document's signatures do not permit: another
// certification, any signature after a DocMDP P=1 certification, and — unless asked for — a
// new visible signature field after a certification, which strict validators reject.
func checkPermits(doc *pdf.Doc, r *Request, sigs []pdf.Signature) error {
	if r.DocMDP != 0 && len(sigs) > 0 {
		return &NotPermitted{Reason: fmt.Sprintf("the document is already signed (%s): only its first signature may certify it", sigs[0].Field),
			Permission: "certification (DocMDP) by the first signature only"}
	}
	cert := certification(sigs)
	if cert != nil && cert.DocMDP == 1 {
		return refuseP1(cert, ", not even another signature")
	}
	if r.ExistingField {
		return fieldLocked(sigs, r.Field)
	}
	if cert == nil || r.Visible == nil || r.NewVisibleField {
		return nil
	}
	hint := "sign invisibly, or add --new-field to do it anyway (Acrobat accepts it; EU DSS and pyHanko do not)"
	if empty := emptySignatureFields(doc); len(empty) > 0 {
		hint = fmt.Sprintf("sign one of its empty signature fields with --field NAME (%s), ", strings.Join(empty, ", ")) + hint
	}
	return &NotPermitted{
		Reason:     fmt.Sprintf("a new visible signature field after the certification by %s (DocMDP P=%d): strict validators accept signing only the fields that existed before it", cert.Field, cert.DocMDP),
		Permission: fmt.Sprintf("DocMDP P=%d of signature %s", cert.DocMDP, cert.Field), Hint: hint}
}

// refuseP1 is the refusal of any change by a DocMDP P=1 certification.
func refuseP1(cert *pdf.Signature, more string) error {
	return &NotPermitted{Reason: fmt.Sprintf("signature %s certifies the document with DocMDP P=1: no change at all is permitted%s", cert.Field, more),
		Permission: "DocMDP P=1 (no changes) of signature " + cert.Field}
}

// fieldLocked refuses a change of the field name that a signature's FieldMDP locks.
func fieldLocked(sigs []pdf.Signature, name string) error {
	for _, s := range sigs {
		if s.Lock.Locks(name) {
			return &NotPermitted{Reason: fmt.Sprintf("field %s is locked by signature %s", name, s.Field),
				Permission: fmt.Sprintf("FieldMDP (%s) of signature %s", s.Lock.Action, s.Field)}
		}
	}
	return nil
}

// emptySignatureFields names the document's signature fields that are not signed.
func emptySignatureFields(doc *pdf.Doc) []string {
	fields, _ := doc.Fields()
	var out []string
	for _, f := range fields {
		if f.Type == "Sig" && !f.Signed {
			out = append(out, f.Name)
		}
	}
	return out
}

// recheck verifies, in the document of size bytes in f, that every signature before the last
// change still verifies and permits it by the given strictness; the caller writes nothing
// otherwise.
func recheck(f io.ReaderAt, size int64, strict verify.Strictness) ([]verify.Check, error) {
	checks, err := verify.CheckReader(f, size)
	if err != nil {
		return nil, err
	}
	for _, c := range checks {
		if !c.Intact {
			return nil, fmt.Errorf("signature %s does not verify in the result (%s): nothing was written", c.Field, c.Problem)
		}
	}
	reports, err := verify.AnalyzeChecks(f, size, checks, strict)
	if err != nil {
		return nil, err
	}
	for i, r := range reports {
		if !r.Allowed {
			return nil, &NotPermitted{
				Reason:     fmt.Sprintf("the change is not one signature %s permits (%s: %s): nothing was written", r.Field, r.Worst, strings.Join(r.Problems, "; ")),
				Permission: permissionOf(checks[i])}
		}
	}
	return checks, nil
}

// permissionOf names what a signature permits.
func permissionOf(c verify.Check) string {
	switch c.DocMDP {
	case 0:
		return "approval signature " + c.Field + " (form filling, signing and annotations)"
	case 1:
		return "DocMDP P=1 (no changes) of signature " + c.Field
	case 2:
		return "DocMDP P=2 (form filling and signing existing fields) of signature " + c.Field
	}
	return fmt.Sprintf("DocMDP P=%d (form filling, signing existing fields, annotations) of signature %s", c.DocMDP, c.Field)
}

// appended reads a document (size bytes of base) followed by an increment, as one file.
type appended struct {
	base io.ReaderAt
	size int64
	inc  []byte
}

func (a appended) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < a.size {
		k, err := a.base.ReadAt(p[:min(int64(len(p)), a.size-off)], off)
		n += k
		if err != nil && err != io.EOF {
			return n, err
		}
		if n < len(p) && off+int64(n) < a.size {
			return n, io.ErrUnexpectedEOF
		}
	}
	if n == len(p) {
		return n, nil
	}
	at := off + int64(n) - a.size
	if at >= int64(len(a.inc)) {
		return n, io.EOF
	}
	k := copy(p[n:], a.inc[at:])
	n += k
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
