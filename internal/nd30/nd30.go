// Package nd30 is the vocabulary of Decree 30/2020/NĐ-CP that signing and verification share:
// who signs, in which order, and the names vbdt gives the fields of an approved document
// (DOMAIN.md §1–§3). It imports nothing of vbdt, so that any package may use it.
package nd30

import "time"

// Role is who signs, in the order of Decree 30/2020/NĐ-CP Art. 10–19 (DOMAIN.md §1, §3).
type Role string

const (
	// Approver is the competent person: the blue signature image between the position title
	// and the name, empty fields for the number and date, DocMDP P=2 certification.
	Approver Role = "approver"
	// Issuer is the organization's signature on the main document: the red seal at its real
	// size, overlapping about a third of the approver's signature image on its left.
	Issuer Role = "issuer"
	// Attachment is the organization's signature on an attachment in a separate file: no
	// image, the main document's number and the signing time at the top right of page 1.
	Attachment Role = "attachment"
	// Copy is the organization's signature on an electronic copy: the copy form, the copying
	// agency and the signing time at the top right of page 1.
	Copy Role = "copy"
	// Plain is a signature outside the Decree 30 flow, visible or not.
	Plain Role = "plain"
)

// Roles lists the roles.
var Roles = []Role{Approver, Issuer, Attachment, Copy, Plain}

// Organization reports whether r is a signature of the organization (its seal), as opposed to
// a person's.
func (r Role) Organization() bool { return r == Issuer || r == Attachment || r == Copy }

// Field names vbdt gives an approved document, so that the clerk's stamp and the verifier find
// them.
const (
	NumberField   = "vbdt_so"   // Số: 15/QĐ-UBND
	DateField     = "vbdt_ngay" // Hà Nội, ngày 05 tháng 01 năm 2026
	ApproverField = "vbdt_approver"
	IssuerField   = "vbdt_issuer"
	// NumberShownField and DateShownField show the number on a document without the
	// approver's fields (signature fields, so that they change nothing a signature covers).
	NumberShownField = "vbdt_so_hien_thi"
	DateShownField   = "vbdt_ngay_hien_thi"
)

// FieldOf is the signature field vbdt gives a role's signature.
func FieldOf(r Role) string { return "vbdt_" + string(r) }

// RoleOfField is the role whose signature field vbdt names name, or "" for a field vbdt did not
// name.
func RoleOfField(name string) Role {
	for _, r := range Roles {
		if name == FieldOf(r) {
			return r
		}
	}
	return ""
}

// CopyForms are the forms of an electronic copy (Decree 30 Art. 25).
var CopyForms = []string{"SAO Y", "SAO LỤC", "TRÍCH SAO"}

// ISOTime formats a signing time as Decree 30 shows it: ISO 8601 with the offset
// (2026-03-05T08:45:15+07:00).
func ISOTime(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }
