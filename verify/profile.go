package verify

import (
	"fmt"
	"io"
	"slices"

	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/number"
)

// nd30Profile checks an issued document against Decree 30/2020/NĐ-CP (Art. 10–19, Appendix I):
// the competent person approves it with a certification (DocMDP P=2); the clerk fills in the
// number and date, and nothing else; then the organization signs. An attachment or a copy
// carries the organization's signature alone. sigs and checks are in signing order.
func nd30Profile(r io.ReaderAt, size int64, sigs []Signature, checks []Check) []Finding {
	var out []Finding
	fail := func(code, format string, a ...any) {
		out = append(out, Finding{Severity: Failure, Code: "nd30-" + code, Text: fmt.Sprintf(format, a...)})
	}
	warn := func(code, format string, a ...any) {
		out = append(out, Finding{Severity: Warning, Code: "nd30-" + code, Text: fmt.Sprintf(format, a...)})
	}
	approver, org := -1, -1
	for i, s := range sigs {
		switch {
		case s.Kind != "signature":
		case s.Role == nd30.Approver && approver < 0:
			approver = i
		case s.Role.Organization() && org < 0:
			org = i
		}
	}
	if org < 0 {
		fail("no-organization-signature", "the organization has not signed: a document is issued by its organization's signature (Decree 30 Art. 16)")
		return out
	}
	o := sigs[org]
	if o.Signer != nil && o.Signer.UID != "" && !slices.ContainsFunc([]string{"MST:", "MNS:", "MCQ:"}, func(p string) bool { return len(o.Signer.UID) > len(p) && o.Signer.UID[:len(p)] == p }) {
		warn("organization-certificate", "the organization's signature %s is made with a certificate naming %s, not an organization's identifier (MST:, MNS:)", o.Field, o.Signer.UID)
	}
	if approver < 0 {
		if o.Role == nd30.Issuer {
			fail("no-approver", "the organization signed a main document that no competent person approved (no certification signature before it)")
		}
		return out // an attachment or a copy: the organization's signature alone
	}
	a := sigs[approver]
	switch {
	case a.DocMDP == 0:
		warn("approver-not-certifying", "the approver's signature %s does not certify the document (no DocMDP): later changes are not restricted", a.Field)
	case a.DocMDP == 1:
		fail("approver-p1", "the approver's signature %s forbids every change (DocMDP P=1): the number and the organization's signature cannot follow", a.Field)
	case a.DocMDP == 3:
		warn("approver-p3", "the approver's signature %s allows annotations (DocMDP P=3); Decree 30 documents use P=2", a.Field)
	}
	if a.SignedSize > o.SignedSize {
		fail("order", "the organization signed (%s) before the approver (%s)", o.Field, a.Field)
		return out
	}
	for _, s := range sigs[:approver] {
		if s.Kind == "signature" {
			warn("signature-before-approval", "signature %s was made before the approver's", s.Field)
		}
	}
	// between the two: only the number and the date, filled in
	changes, err := pdf.Changes(r, o.SignedSize, a.SignedSize)
	if err != nil {
		fail("unreadable", "the revisions between the approver's and the organization's signatures cannot be compared: %v", err)
		return out
	}
	allowed := []string{nd30.NumberField, nd30.DateField, nd30.NumberShownField, nd30.DateShownField, o.Field}
	for _, ch := range changes {
		if ch.Field != "" && !ch.Widget && !slices.Contains(allowed, ch.Field) {
			warn("other-field-filled", "field %q was filled in between the approval and the organization's signature: Decree 30 leaves only the number and the date to the clerk", ch.Field)
		}
	}
	// the number was filled in before the organization signed
	before, err := pdf.Open(io.NewSectionReader(r, 0, o.SignedSize), o.SignedSize)
	if err != nil {
		fail("unreadable", "the revision the organization signed cannot be read: %v", err)
		return out
	}
	fields, _ := before.Fields()
	numbered, known := false, false
	for _, f := range fields {
		switch f.Name {
		case nd30.NumberField:
			known = true
			if f.Value == "" {
				continue
			}
			numbered = true
			if _, err := number.ParseCode(f.Value); err != nil {
				warn("notation", "the number %q is not a number and notation as Decree 30 writes them (15/QĐ-UBND)", f.Value)
			}
		case nd30.NumberShownField:
			known, numbered = true, true
		}
	}
	switch {
	case known && !numbered:
		fail("number-after-seal", "the organization signed before the document was numbered: its signature does not cover the number (Decree 30: number and date first)")
	case !known:
		warn("number-unknown", "no number field vbdt knows (%s): whether the number came before the organization's signature is not checked", nd30.NumberField)
	}
	for _, s := range sigs[org+1:] {
		if s.Kind == "signature" {
			warn("signature-after-issue", "signature %s was added after the organization issued the document", s.Field)
		}
	}
	if o.Changes.Worst != ModNone && o.Changes.Worst != ModLTA {
		warn("changed-after-issue", "the document was changed after the organization signed it (%s)", o.Changes.Worst)
	}
	return out
}
