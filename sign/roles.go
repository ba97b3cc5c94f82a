package sign

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vbdt/vbdt/internal/pdf"
)

// Role is who signs, in the order of Decree 30/2020/NĐ-CP Art. 10–19 (DOMAIN.md §1, §3).
type Role string

const (
	// RoleApprover is the competent person: the blue signature image between the position
	// title and the name, empty fields for the number and date, DocMDP P=2 certification.
	RoleApprover Role = "approver"
	// RoleIssuer is the organization's signature on the main document: the red seal at its real
	// size, overlapping about a third of the approver's signature image on its left.
	RoleIssuer Role = "issuer"
	// RoleAttachment is the organization's signature on an attachment in a separate file: no
	// image, the main document's number and the signing time at the top right of page 1.
	RoleAttachment Role = "attachment"
	// RoleCopy is the organization's signature on an electronic copy: the copy form, the copying
	// agency and the signing time at the top right of page 1.
	RoleCopy Role = "copy"
	// RolePlain is a signature outside the Decree 30 flow, visible or not.
	RolePlain Role = "plain"
)

// Roles lists the roles.
var Roles = []Role{RoleApprover, RoleIssuer, RoleAttachment, RoleCopy, RolePlain}

// Field names vbdt gives the approver's fields, so that the clerk's stamp finds them.
const (
	NumberField   = "vbdt_so"   // Số: 15/QĐ-UBND
	DateField     = "vbdt_ngay" // Hà Nội, ngày 05 tháng 01 năm 2026
	ApproverField = "vbdt_approver"
	IssuerField   = "vbdt_issuer"
)

const mm = 72 / 25.4

// Appearance is what a role needs to draw itself.
type Appearance struct {
	Role Role
	Page int       // 0: the role's default (last page for approver and issuer, 1 otherwise)
	Rect *pdf.Rect // nil: the role's default place
	// Image is the approver's signature image (approver, plain), or nil.
	Image *pdf.Image
	// Seal is the agency's seal (issuer) and SealSize its diameter in mm (0: from the image's DPI).
	Seal     *pdf.Image
	SealSize float64
	Font     *pdf.Font
	// NumberRect and DateRect place the approver's empty fields (default: over the "Số: …" and
	// "ngày … tháng … năm …" placeholders when found, else where Decree 30 puts them).
	NumberRect, DateRect *pdf.Rect
	// Anchor is text the approver's image goes above (default: the signer's name as in the
	// certificate, without any parenthesis).
	Anchor string
	// Code is the main document's number and notation (attachment).
	Code string
	// CopyForm is SAO Y, SAO LỤC or TRÍCH SAO and CopyAgency the copying agency (copy).
	CopyForm, CopyAgency string
	Visible              bool // plain: visible
	Certify              int  // plain: certify with this DocMDP permission (1, 2 or 3; 0: an approval signature)
	Time                 time.Time
}

// CopyForms are the copy forms of Decree 30.
var CopyForms = []string{"SAO Y", "SAO LỤC", "TRÍCH SAO"}

// ISOTime is the signing time as Decree 30 writes it: 2026-03-05T08:45:15+07:00.
func ISOTime(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }

// Apply sets the request's field, placement, fields and certification for the role.
func (a Appearance) Apply(doc *pdf.Doc, r *Request) error {
	last := doc.PageCount()
	page := a.Page
	switch {
	case page == 0 && (a.Role == RoleApprover || a.Role == RoleIssuer):
		page = last
	case page == 0:
		page = 1
	case page < 0 || page > last:
		return fmt.Errorf("page %d does not exist (the document has %d)", page, last)
	}
	box, err := doc.PageBox(page)
	if err != nil {
		return err
	}
	t := a.Time
	if t.IsZero() {
		t = r.Time
	}
	switch a.Role {
	case RoleApprover:
		if a.Image == nil {
			return fmt.Errorf("the approver's signature needs its image (--image, or appearance.signature_image)")
		}
		if a.Font == nil {
			return fmt.Errorf("the approver's number and date fields need a font")
		}
		rect := defaultRect(a.Rect, pdf.Rect{X1: box.X2 - 245, Y1: 90, X2: box.X2 - 75, Y2: 165})
		if a.Rect == nil {
			if anchored, ok := approverByAnchor(doc, page, a.anchor(r)); ok {
				rect = anchored
			}
		}
		r.Field = ApproverField
		r.Visible = &Placement{Page: page, Rect: rect, Drawing: pdf.Drawing{Images: []pdf.PlacedImage{{Image: a.Image, At: fit(a.Image, rect)}}}}
		numberRect, dateRect, err := headerRects(doc, a.NumberRect, a.DateRect)
		if err != nil {
			return err
		}
		r.TextFields = []pdf.TextField{
			{Name: NumberField, Page: 1, Rect: numberRect, Size: 13},
			{Name: DateField, Page: 1, Rect: dateRect, Size: 13},
		}
		r.Font = a.Font
		r.DocMDP = 2
	case RoleIssuer:
		if a.Seal == nil {
			return fmt.Errorf("the organization's signature needs the seal image (--seal, or appearance.seal_image)")
		}
		size := a.SealSize * mm
		if size == 0 && a.Seal.DPI > 0 {
			size = float64(a.Seal.W) / a.Seal.DPI * 72
		}
		if size == 0 {
			size = 36 * mm
		}
		rect := pdf.Rect{}
		if a.Rect != nil {
			rect = *a.Rect
		} else {
			ap, ok := approverRect(doc)
			if !ok {
				return fmt.Errorf("no approver's signature to place the seal by: give --page and --rect")
			}
			// the seal's right third overlaps the left third of the approver's image
			cy := (ap.Y1 + ap.Y2) / 2
			right := ap.X1 + ap.Width()/3
			rect = pdf.Rect{X1: right - size, Y1: cy - size/2, X2: right, Y2: cy + size/2}
			page = ap.page
		}
		h := size * float64(a.Seal.H) / float64(a.Seal.W)
		rect.Y2 = rect.Y1 + h
		r.Field = IssuerField
		r.Visible = &Placement{Page: page, Rect: rect, Drawing: pdf.Drawing{Images: []pdf.PlacedImage{{Image: a.Seal, At: pdf.Rect{X2: rect.Width(), Y2: rect.Height()}}}}}
	case RoleAttachment, RoleCopy:
		if a.Font == nil {
			return fmt.Errorf("the %s signature's text needs a font", a.Role)
		}
		var lines []string
		if a.Role == RoleAttachment {
			if a.Code == "" {
				return fmt.Errorf("an attachment's signature shows the main document's number: give --code 15/QĐ-UBND")
			}
			lines = []string{a.Code, ISOTime(t)}
		} else {
			if !slices.Contains(CopyForms, a.CopyForm) {
				return fmt.Errorf("copy form %q: use one of %s", a.CopyForm, strings.Join(CopyForms, ", "))
			}
			if a.CopyAgency == "" {
				return fmt.Errorf("a copy's signature shows the copying agency: give --copy-agency")
			}
			lines = []string{a.CopyForm, a.CopyAgency, ISOTime(t)}
		}
		r.Field = "vbdt." + string(a.Role)
		rect, drawing, err := topRight(box, a.Font, lines)
		if err != nil {
			return err
		}
		r.Visible = &Placement{Page: 1, Rect: rect, Drawing: drawing}
	case RolePlain:
		r.DocMDP = a.Certify
		if !a.Visible {
			break
		}
		rect := defaultRect(a.Rect, pdf.Rect{X1: box.X2 - 245, Y1: 60, X2: box.X2 - 45, Y2: 130})
		d := pdf.Drawing{Font: a.Font}
		if a.Image != nil {
			d.Images = []pdf.PlacedImage{{Image: a.Image, At: fit(a.Image, pdf.Rect{X2: rect.Width(), Y2: rect.Height() - 14})}}
		}
		if a.Font != nil && len(r.Chain) > 0 {
			d.Texts = []pdf.PlacedText{{Text: r.Chain[0].Subject.CommonName + " · " + ISOTime(t), X: 2, Y: rect.Height() - 10, Size: 8}}
		}
		r.Visible = &Placement{Page: page, Rect: rect, Drawing: d}
	default:
		return fmt.Errorf("unknown role %q", a.Role)
	}
	if r.DocMDP != 0 {
		if r.DocMDP < 1 || r.DocMDP > 3 {
			return fmt.Errorf("DocMDP permission %d: use 1 (no changes), 2 (form filling and signing) or 3 (also annotations)", r.DocMDP)
		}
		sigs, err := doc.Signatures()
		if err != nil {
			return err
		}
		if len(sigs) > 0 {
			return fmt.Errorf("the document is already signed (%s): only its first signature may certify it", sigs[0].Field)
		}
	}
	return nil
}

func defaultRect(given *pdf.Rect, def pdf.Rect) pdf.Rect {
	if given != nil {
		return *given
	}
	return def
}

// fit scales an image into a rectangle keeping its proportions, centred, in the rectangle's
// own coordinates.
func fit(im *pdf.Image, r pdf.Rect) pdf.Rect {
	w, h := r.Width(), r.Height()
	s := min(w/float64(im.W), h/float64(im.H))
	iw, ih := float64(im.W)*s, float64(im.H)*s
	return pdf.Rect{X1: (w - iw) / 2, Y1: (h - ih) / 2, X2: (w + iw) / 2, Y2: (h + ih) / 2}
}

// topRight lays out lines of 10 pt text, right-aligned at the top right of a page.
func topRight(box pdf.Rect, f *pdf.Font, lines []string) (pdf.Rect, pdf.Drawing, error) {
	const size, lead, margin = 10.0, 12.0, 20.0
	width := 0.0
	for _, l := range lines {
		w, err := f.Width(l, size)
		if err != nil {
			return pdf.Rect{}, pdf.Drawing{}, err
		}
		width = max(width, w)
	}
	h := lead*float64(len(lines)) + 4
	rect := pdf.Rect{X1: box.X2 - margin - width - 4, Y1: box.Y2 - margin - h, X2: box.X2 - margin, Y2: box.Y2 - margin}
	d := pdf.Drawing{Font: f}
	for i, l := range lines {
		w, _ := f.Width(l, size)
		d.Texts = append(d.Texts, pdf.PlacedText{Text: l, X: rect.Width() - 2 - w, Y: h - lead*float64(i+1) + 2, Size: size})
	}
	return rect, d, nil
}

type pageRect struct {
	pdf.Rect
	page int
}

// approverRect finds the approver's signature widget.
func approverRect(doc *pdf.Doc) (pageRect, bool) {
	fields, err := doc.Fields()
	if err != nil {
		return pageRect{}, false
	}
	for _, f := range fields {
		if f.Name == ApproverField && f.Rect.Width() > 0 {
			return pageRect{f.Rect, max(f.Page, 1)}, true
		}
	}
	return pageRect{}, false
}

func (a Appearance) anchor(r *Request) string {
	if a.Anchor != "" || len(r.Chain) == 0 {
		return a.Anchor
	}
	name := r.Chain[0].Subject.CommonName
	if i := strings.Index(name, "("); i > 0 {
		name = name[:i]
	}
	return strings.TrimSpace(name)
}

// approverByAnchor places the signature image centred over the anchor (the signer's name),
// filling the gap up to the line above it (the position title).
func approverByAnchor(doc *pdf.Doc, page int, anchor string) (pdf.Rect, bool) {
	if anchor == "" {
		return pdf.Rect{}, false
	}
	name, ok, err := doc.FindText(page, anchor)
	if err != nil || !ok {
		return pdf.Rect{}, false
	}
	y1, y2 := name.Y2+2, name.Y2+74
	if title, ok, _ := doc.Above(page, pdf.Rect{X1: name.X1 - 40, Y1: name.Y1, X2: name.X2 + 40, Y2: name.Y2}); ok &&
		title.Box.Y1-2-y1 >= 30 {
		y2 = min(title.Box.Y1-2, y1+130)
	}
	cx, w := (name.X1+name.X2)/2, 170.0
	return pdf.Rect{X1: cx - w/2, Y1: y1, X2: cx + w/2, Y2: y2}, true
}

// headerRects places the number and the date on page 1: over the "Số: …" and "ngày … tháng …
// năm …" placeholders when found, else where Decree 30's layout puts them (unless given).
func headerRects(doc *pdf.Doc, number, date *pdf.Rect) (pdf.Rect, pdf.Rect, error) {
	box, err := doc.PageBox(1)
	if err != nil {
		return pdf.Rect{}, pdf.Rect{}, err
	}
	top := box.Y2
	return placeholder(doc, number, pdf.Rect{X1: 20 * mm, Y1: top - 44.5*mm, X2: 90 * mm, Y2: top - 36.5*mm}, 150, "số:"),
		placeholder(doc, date, pdf.Rect{X1: 100 * mm, Y1: top - 44.5*mm, X2: 195 * mm, Y2: top - 36.5*mm}, 240, "ngày", "tháng", "năm"), nil
}

// placeholder places a field over the first run on page 1 containing parts, at least width
// points wide, unless a rectangle was given; def when the placeholder is not found.
func placeholder(doc *pdf.Doc, given *pdf.Rect, def pdf.Rect, width float64, parts ...string) pdf.Rect {
	if given != nil {
		return *given
	}
	run, ok, err := doc.FindRun(1, parts...)
	if err != nil || !ok {
		return def
	}
	b := run.Box
	return pdf.Rect{X1: b.X1 - 1, Y1: b.Y1 - 1, X2: b.X1 + max(b.Width()+20, width), Y2: b.Y2 + 1}
}
