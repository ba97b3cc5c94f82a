package sign

import (
	"fmt"
	"github.com/vbdt/vbdt/internal/nd30"
	"slices"
	"strings"
	"time"

	"github.com/vbdt/vbdt/internal/pdf"
)

const mm = 72 / 25.4

// Appearance is what a role needs to draw itself.
type Appearance struct {
	Role nd30.Role
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
	// Field signs this existing, empty signature field, the role's drawing fitted into it (the
	// issuer finds the approver's prepared nd30.IssuerField by itself).
	Field string
	// NewField allows a new visible signature field after a certification (see
	// Request.NewVisibleField).
	NewField bool
	Time     time.Time
}

// Apply sets the request's field, placement, fields and certification for the role.
func (a Appearance) Apply(doc *pdf.Doc, r *Request) error {
	last := doc.PageCount()
	page := a.Page
	switch {
	case page == 0 && (a.Role == nd30.Approver || a.Role == nd30.Issuer):
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
	existing := a.Field
	r.NewVisibleField = a.NewField
	switch a.Role {
	case nd30.Approver:
		if a.Image == nil {
			return fmt.Errorf("the approver's signature needs its image (--image, or appearance.signature_image)")
		}
		if a.Font == nil {
			return fmt.Errorf("the approver's number and date fields need a font")
		}
		rect := clampInto(defaultRect(a.Rect, fraction(box, 0.588, 0.107, 0.874, 0.196)), box)
		if a.Rect == nil {
			if anchored, ok := approverByAnchor(doc, page, a.anchor(r)); ok {
				rect = clampInto(anchored, box)
			}
		}
		r.Field = nd30.ApproverField
		r.Visible = &Placement{Page: page, Rect: rect, Drawing: pdf.Drawing{Images: []pdf.PlacedImage{{Image: a.Image, At: fit(a.Image, rect)}}}}
		numberRect, dateRect, err := headerRects(doc, a.NumberRect, a.DateRect)
		if err != nil {
			return err
		}
		r.TextFields = []pdf.TextField{
			{Name: nd30.NumberField, Page: 1, Rect: numberRect, Size: 13},
			{Name: nd30.DateField, Page: 1, Rect: dateRect, Size: 13},
		}
		// the organization's seal will sign this field: after the certification, signing a
		// field that existed is the only signature strict validators accept
		w, h := a.sealSize()
		r.PreparedFields = []pdf.SignatureField{{Name: nd30.IssuerField, Page: page, Rect: sealRect(rect, w, h, box)}}
		r.Font = a.Font
		r.DocMDP = 2
	case nd30.Issuer:
		if a.Seal == nil {
			return fmt.Errorf("the organization's signature needs the seal image (--seal, or appearance.seal_image)")
		}
		if err := numbered(doc); err != nil {
			return err
		}
		w, h := a.sealSize()
		seal := pdf.Drawing{Images: []pdf.PlacedImage{{Image: a.Seal, At: pdf.Rect{X2: w, Y2: h}}}}
		r.Field = nd30.IssuerField
		if existing == "" {
			if f, err := doc.Field(nd30.IssuerField); err == nil && f.Type == "Sig" && !f.Signed {
				existing = nd30.IssuerField // prepared by the approver: --rect places only a new field
			}
		}
		var rect pdf.Rect
		switch {
		case existing != "":
			rect = pdf.Rect{X2: w, Y2: h} // fitted into the field below
		case a.Rect != nil:
			rect = *a.Rect
			rect.Y2 = rect.Y1 + h*rect.Width()/w
		default:
			ap, ok := approverRect(doc)
			if !ok {
				return fmt.Errorf("no approver's signature to place the seal by: give --page and --rect")
			}
			rect, page = sealRect(ap.Rect, w, h, box), ap.page
		}
		seal = seal.Fit(pdf.Rect{X2: w, Y2: h}, pdf.Rect{X2: rect.Width(), Y2: rect.Height()})
		r.Visible = &Placement{Page: page, Rect: rect, Drawing: seal}
	case nd30.Attachment, nd30.Copy:
		if a.Font == nil {
			return fmt.Errorf("the %s signature's text needs a font", a.Role)
		}
		var lines []string
		if a.Role == nd30.Attachment {
			if a.Code == "" {
				return fmt.Errorf("an attachment's signature shows the main document's number: give --code 15/QĐ-UBND")
			}
			lines = []string{a.Code, nd30.ISOTime(t)}
		} else {
			if !slices.Contains(nd30.CopyForms, a.CopyForm) {
				return fmt.Errorf("copy form %q: use one of %s", a.CopyForm, strings.Join(nd30.CopyForms, ", "))
			}
			if a.CopyAgency == "" {
				return fmt.Errorf("a copy's signature shows the copying agency: give --copy-agency")
			}
			lines = []string{a.CopyForm, a.CopyAgency, nd30.ISOTime(t)}
		}
		r.Field = "vbdt_" + string(a.Role)
		box1, err := doc.PageBox(1)
		if err != nil {
			return err
		}
		rect, drawing, err := topRight(box1, a.Font, lines)
		if err != nil {
			return err
		}
		r.Visible = &Placement{Page: 1, Rect: rect, Drawing: drawing}
	case nd30.Plain:
		r.DocMDP = a.Certify
		if !a.Visible {
			break
		}
		rect := clampInto(defaultRect(a.Rect, fraction(box, 0.588, 0.071, 0.924, 0.154)), box)
		d := pdf.Drawing{Font: a.Font}
		if a.Image != nil {
			d.Images = []pdf.PlacedImage{{Image: a.Image, At: fit(a.Image, pdf.Rect{X2: rect.Width(), Y2: rect.Height() - 14})}}
		}
		if a.Font != nil && len(r.Chain) > 0 {
			d.Texts = []pdf.PlacedText{{Text: r.Chain[0].Subject.CommonName + " · " + nd30.ISOTime(t), X: 2, Y: rect.Height() - 10, Size: 8}}
		}
		r.Visible = &Placement{Page: page, Rect: rect, Drawing: d}
	default:
		return fmt.Errorf("unknown role %q", a.Role)
	}
	if existing != "" {
		if err := intoField(doc, r, existing); err != nil {
			return err
		}
	}
	if r.DocMDP < 0 || r.DocMDP > 3 {
		return fmt.Errorf("DocMDP permission %d: use 1 (no changes), 2 (form filling and signing) or 3 (also annotations)", r.DocMDP)
	}
	return nil
}

// intoField makes the request sign the existing, empty signature field name, its drawing
// fitted into the field's rectangle (an invisible field shows nothing).
func intoField(doc *pdf.Doc, r *Request, name string) error {
	f, err := doc.Field(name)
	switch {
	case err != nil:
		if empty := emptySignatureFields(doc); len(empty) > 0 {
			return fmt.Errorf("%w; its empty signature fields: %s", err, strings.Join(empty, ", "))
		}
		return fmt.Errorf("%w, and no empty signature field", err)
	case f.Type != "Sig":
		return fmt.Errorf("field %s is not a signature field", name)
	case f.Signed:
		return fmt.Errorf("field %s is already signed", name)
	}
	r.Field, r.ExistingField = name, true
	if !f.Visible() {
		r.Visible = nil
		return nil
	}
	var d pdf.Drawing
	from := f.Rect
	if r.Visible != nil {
		d, from = r.Visible.Drawing, r.Visible.Rect
	}
	r.Visible = &Placement{Page: max(f.Page, 1), Rect: f.Rect,
		Drawing: d.Fit(pdf.Rect{X2: from.Width(), Y2: from.Height()}, pdf.Rect{X2: f.Rect.Width(), Y2: f.Rect.Height()})}
	return nil
}

// numbered refuses to seal a document whose number and date fields, prepared by the approver,
// are still empty: Decree 30 numbers and dates a document before the organization signs it, so
// that its signature covers them.
func numbered(doc *pdf.Doc) error {
	for _, name := range []string{nd30.NumberField, nd30.DateField} {
		if f, err := doc.Field(name); err == nil && f.Type == "Tx" && f.Value == "" {
			return &NotPermitted{Reason: fmt.Sprintf("the document has no number yet (its field %s is empty): the organization's signature would not cover it", name),
				Permission: "Decree 30 Art. 15–16: the number and the date come before the organization's seal",
				Hint:       "number it first with vbdt number stamp, or sign with --number-from-register"}
		}
	}
	return nil
}

// sealSize is the seal's width and height in points: its real size (--seal-size, else the
// image's DPI), 36 mm round when neither is known.
func (a Appearance) sealSize() (float64, float64) {
	w := a.SealSize * mm
	if w == 0 && a.Seal != nil && a.Seal.DPI > 0 {
		w = float64(a.Seal.W) / a.Seal.DPI * 72
	}
	if w == 0 {
		w = 36 * mm
	}
	if a.Seal == nil {
		return w, w
	}
	return w, w * float64(a.Seal.H) / float64(a.Seal.W)
}

// sealRect places a seal of w×h points over the left third of the approver's signature, its
// right third overlapping it (Decree 30, Appendix I), inside the page.
func sealRect(approver pdf.Rect, w, h float64, box pdf.Rect) pdf.Rect {
	cy := (approver.Y1 + approver.Y2) / 2
	right := approver.X1 + approver.Width()/3
	return clampInto(pdf.Rect{X1: right - w, Y1: cy - h/2, X2: right, Y2: cy + h/2}, box)
}

// fraction is the rectangle at the given fractions of a page box's width and height.
func fraction(box pdf.Rect, x1, y1, x2, y2 float64) pdf.Rect {
	w, h := box.Width(), box.Height()
	return pdf.Rect{X1: box.X1 + x1*w, Y1: box.Y1 + y1*h, X2: box.X1 + x2*w, Y2: box.Y1 + y2*h}
}

// clampInto moves r inside box, shrinking it about its centre, keeping its proportions, when
// it is larger than the box.
func clampInto(r, box pdf.Rect) pdf.Rect {
	if s := min(box.Width()/r.Width(), box.Height()/r.Height()); s < 1 {
		cx, cy := (r.X1+r.X2)/2, (r.Y1+r.Y2)/2
		w, h := r.Width()*s, r.Height()*s
		r = pdf.Rect{X1: cx - w/2, Y1: cy - h/2, X2: cx + w/2, Y2: cy + h/2}
	}
	dx := max(box.X1-r.X1, 0) - max(r.X2-box.X2, 0)
	dy := max(box.Y1-r.Y1, 0) - max(r.Y2-box.Y2, 0)
	return pdf.Rect{X1: r.X1 + dx, Y1: r.Y1 + dy, X2: r.X2 + dx, Y2: r.Y2 + dy}
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
		if f.Name == nd30.ApproverField && f.Rect.Width() > 0 {
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
// năm …" placeholders when found, else where Decree 30's layout puts them on the page's box
// (unless given).
func headerRects(doc *pdf.Doc, number, date *pdf.Rect) (pdf.Rect, pdf.Rect, error) {
	box, err := doc.PageBox(1)
	if err != nil {
		return pdf.Rect{}, pdf.Rect{}, err
	}
	// on A4 (210 × 297 mm): the number 20–90 mm from the left, the date 100–195 mm, both
	// 36.5–44.5 mm from the top
	return placeholder(doc, number, fraction(box, 0.095, 0.850, 0.429, 0.877), box, 150, "số:"),
		placeholder(doc, date, fraction(box, 0.476, 0.850, 0.929, 0.877), box, 240, "ngày", "tháng", "năm"), nil
}

// placeholder places a field over the first run on page 1 containing parts, at least width
// points wide but within the page's box, unless a rectangle was given; def when the
// placeholder is not found.
func placeholder(doc *pdf.Doc, given *pdf.Rect, def, box pdf.Rect, width float64, parts ...string) pdf.Rect {
	if given != nil {
		return *given
	}
	run, ok, err := doc.FindRun(1, parts...)
	if err != nil || !ok {
		return def
	}
	b := run.Box
	return pdf.Rect{X1: b.X1 - 1, Y1: b.Y1 - 1, X2: min(b.X1+max(b.Width()+20, width), box.X2), Y2: b.Y2 + 1}
}
