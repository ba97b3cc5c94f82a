package pdf

import (
	"fmt"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// drFont is the name of vbdt's font in the AcroForm's default resources.
const drFont = "VbdtF1"

// SignatureField is where a signature shows: a zero Rect makes it invisible.
type SignatureField struct {
	Name       string
	Page       int
	Rect       Rect
	Appearance Drawing
}

// AddSignature adds a signature field whose value is the signature dictionary sig (reserved
// with Reserve and given its body with Put).
func (inc *Increment) AddSignature(f SignatureField, sig Ref) error {
	return inc.addSignatureField(f, &sig)
}

// AddUnsignedSignature adds a visible signature field that is not signed: its appearance
// shows on the page (the clerk's number on a document whose signatures permit only new
// signature fields), and nothing else of the document changes.
func (inc *Increment) AddUnsignedSignature(f SignatureField) error {
	return inc.addSignatureField(f, nil)
}

func (inc *Increment) addSignatureField(f SignatureField, sig *Ref) error {
	field := types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("Widget"), "FT": types.Name("Sig"),
		"T": TextString(f.Name), "F": types.Integer(132), "Rect": rectArray(f.Rect)} // print, locked
	if sig != nil {
		field["V"] = sig.ref()
	}
	ap, err := inc.formXObject(f.Appearance, f.Rect.Width(), f.Rect.Height(), nil)
	if err != nil {
		return err
	}
	field["AP"] = types.Dict{"N": ap.ref()}
	if _, err := inc.addField(f.Page, field); err != nil {
		return err
	}
	if sig != nil {
		return inc.setSigFlags()
	}
	return nil
}

// setSigFlags marks the form as holding signatures, to be appended to only (SigFlags 3), when
// the document is not signed yet: after a signature, strict validators (pyHanko) count a
// changed /SigFlags as an illegal change, and the first signature has set it already.
func (inc *Increment) setSigFlags() error {
	if sigs, err := inc.d.Signatures(); err != nil || len(sigs) > 0 {
		return err
	}
	af, err := inc.acroForm()
	if err != nil {
		return err
	}
	af["SigFlags"] = types.Integer(3)
	return nil
}

// SignField makes sig the value of the existing, empty signature field name and, when the
// field shows on a page, draws appearance in its widget: the only change a signature makes to
// a document certified with DocMDP P=2 or P=3 that strict validators accept. The field keeps
// its place, size and flags.
func (inc *Increment) SignField(name string, sig Ref, appearance Drawing) error {
	f, err := inc.d.Field(name)
	if err != nil {
		return err
	}
	switch {
	case f.Type != "Sig":
		return fmt.Errorf("field %q is not a signature field", name)
	case f.Signed:
		return fmt.Errorf("field %q is already signed", name)
	}
	fd, err := inc.modifyDict(f.ref)
	if err != nil {
		return err
	}
	fd["V"] = sig.ref()
	if f.Visible() {
		ap, err := inc.formXObject(appearance, f.Rect.Width(), f.Rect.Height(), nil)
		if err != nil {
			return err
		}
		wd := fd
		if f.widget != f.ref {
			if wd, err = inc.modifyDict(f.widget); err != nil {
				return err
			}
		}
		wd["AP"] = types.Dict{"N": ap.ref()}
	}
	return inc.setSigFlags()
}

// TextField is an empty, unlocked text field (the number, the promulgation date) that a later
// incremental form fill may set without breaking a DocMDP P=2 certification.
type TextField struct {
	Name string
	Page int
	Rect Rect
	Size float64 // font size of the value
}

// AddTextFields adds empty text fields drawn with font, which is embedded once and becomes the
// AcroForm's default font, so that later fills reuse it.
func (inc *Increment) AddTextFields(fields []TextField, font *Font) error {
	af, err := inc.acroForm()
	if err != nil {
		return err
	}
	fontRef := font.embed(inc, nil) // every Latin and Vietnamese glyph: the clerk's text is not known yet
	dr, _ := af["DR"].(types.Dict)
	if dr == nil {
		dr = types.Dict{}
	}
	fonts, _ := dr["Font"].(types.Dict)
	if fonts == nil {
		fonts = types.Dict{}
	}
	fonts[drFont] = fontRef.ref()
	dr["Font"] = fonts
	af["DR"] = dr
	for _, f := range fields {
		empty, err := inc.formXObject(Drawing{}, f.Rect.Width(), f.Rect.Height(), nil)
		if err != nil {
			return err
		}
		if _, err := inc.addField(f.Page, types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("Widget"),
			"FT": types.Name("Tx"), "T": TextString(f.Name), "F": types.Integer(4), "Rect": rectArray(f.Rect),
			"DA": types.StringLiteral(fmt.Sprintf("/%s %.1f Tf 0 g", drFont, f.Size)), "V": types.StringLiteral(""),
			"AP": types.Dict{"N": empty.ref()}}); err != nil {
			return err
		}
	}
	return nil
}

// certifiedVersion is the PDF version a certified PAdES document declares: /Perms came with
// PDF 1.5 and readers ignore it below (pdfcpu does), ETSI.CAdES.detached extends PDF 1.7.
const certifiedVersion = "1.7"

// Certify makes sig the document's certification signature (DocMDP; its permission is in the
// signature dictionary), raising an older document's version so that readers honour it.
func (inc *Increment) Certify(sig Ref) error {
	_, rootRef, err := inc.d.catalog()
	if err != nil {
		return err
	}
	cat, err := inc.modifyDict(rootRef)
	if err != nil {
		return err
	}
	if _, ok := cat["Perms"]; ok {
		return fmt.Errorf("the document is already certified (it has /Perms)")
	}
	cat["Perms"] = types.Dict{"DocMDP": sig.ref()}
	if versionLess(inc.d.Version(), certifiedVersion) {
		cat["Version"] = types.Name(certifiedVersion)
	}
	return nil
}

// Field is a form field of the document.
type Field struct {
	Name   string
	Type   string // Tx, Sig, …
	Value  string // text fields
	Signed bool   // signature fields: it has a value
	Page   int    // 0 when unknown
	Rect   Rect
	ref    types.IndirectRef
	widget types.IndirectRef // the field itself, or its only kid
	dict   types.Dict
}

// Visible reports whether the field's widget has a rectangle of some area: the test strict
// validators (pyHanko) apply to a new signature field, whatever its flags say.
func (f Field) Visible() bool { return f.Rect.Width() > 0 && f.Rect.Height() > 0 }

// Field returns the top-level form field name.
func (d *Doc) Field(name string) (Field, error) {
	fields, err := d.Fields()
	if err != nil {
		return Field{}, err
	}
	for _, f := range fields {
		if f.Name == name {
			return f, nil
		}
	}
	return Field{}, fmt.Errorf("the document has no field %q", name)
}

// acroForm returns the document's AcroForm dictionary, or nil.
func (d *Doc) acroForm() (types.Dict, error) {
	cat, _, err := d.catalog()
	if err != nil {
		return nil, err
	}
	afObj, ok := cat["AcroForm"]
	if !ok {
		return nil, nil
	}
	return d.dict(afObj)
}

// Fields lists the document's terminal form fields (those that hold values), nested ones with
// their full names ("grp.so").
func (d *Doc) Fields() ([]Field, error) {
	if _, err := d.acroForm(); err != nil {
		return nil, err
	}
	d.formTree()
	return d.form.fields, nil
}

func (d *Doc) fieldsOf(nodes map[int]*formNode, terminals []*formNode) []Field {
	out := make([]Field, 0, len(terminals))
	for _, node := range terminals {
		fd := node.dict
		f := Field{Name: node.name, Type: node.ft, Signed: node.signed, ref: node.ref, widget: node.ref, dict: fd}
		if v, err := d.deref(fd["V"]); err == nil && v != nil && f.Type == "Tx" {
			f.Value = decodeText(v)
		}
		wd := fd
		if kids, ok := d.array(fd["Kids"]); ok && len(kids) == 1 && fd["Rect"] == nil {
			if kr, ok := kids[0].(types.IndirectRef); ok && nodes[kr.ObjectNumber.Value()] != nil {
				f.widget, wd = kr, nodes[kr.ObjectNumber.Value()].dict
			}
		}
		if r, ok := d.rect(wd["Rect"]); ok {
			f.Rect = r
		}
		if p, ok := wd["P"].(types.IndirectRef); ok {
			f.Page = d.pageNumber(p)
		}
		out = append(out, f)
	}
	return out
}

// pageNumber finds the number of the page ref, 0 if it is none.
func (d *Doc) pageNumber(ref types.IndirectRef) int {
	for n := 1; n <= d.pages; n++ {
		if _, pr, _, err := d.page(n); err == nil && pr.ObjectNumber == ref.ObjectNumber {
			return n
		}
	}
	return 0
}

func num(o types.Object) float64 {
	switch v := o.(type) {
	case types.Integer:
		return float64(v)
	case types.Float:
		return float64(v)
	}
	return 0
}

func decodeText(o types.Object) string {
	switch v := o.(type) {
	case types.StringLiteral:
		s, err := types.StringLiteralToString(v)
		if err == nil {
			return s
		}
		return string(v)
	case types.HexLiteral:
		s, err := types.HexLiteralToString(v)
		if err == nil {
			return s
		}
	}
	return ""
}

// FillText sets the value of the text field name, drawn (left-aligned, vertically centred) in
// font, embedded as a subset, or, when font is nil, in the font vbdt's approver left in the
// form's default resources.
func (inc *Increment) FillText(name, value string, font *Font) error {
	f, err := inc.d.Field(name)
	if err != nil {
		return err
	}
	if f.Type != "Tx" {
		return fmt.Errorf("field %q is not a text field", name)
	}
	var fontRef *Ref
	if font == nil {
		var ref Ref
		if font, ref, err = inc.d.drFont(); err != nil {
			return err
		}
		fontRef = &ref
	}
	ap, err := inc.formXObject(Line(font, value, f.Rect), f.Rect.Width(), f.Rect.Height(), fontRef)
	if err != nil {
		return err
	}
	fd, err := inc.modifyDict(f.ref)
	if err != nil {
		return err
	}
	fd["V"] = TextString(value)
	wd := fd
	if f.widget != f.ref {
		if wd, err = inc.modifyDict(f.widget); err != nil {
			return err
		}
	}
	wd["AP"] = types.Dict{"N": ap.ref()}
	return nil
}

// CheckFormFont says whether the form's default font (the one FillText draws with) can be used.
func (d *Doc) CheckFormFont() error {
	_, _, err := d.drFont()
	return err
}

// drFont loads vbdt's font from the AcroForm default resources, parsing the embedded file
// itself so that glyph IDs match whatever font was embedded.
func (d *Doc) drFont() (*Font, Ref, error) {
	cat, _, err := d.catalog()
	if err != nil {
		return nil, Ref{}, err
	}
	af, err := d.dict(cat["AcroForm"])
	if err != nil || af == nil {
		return nil, Ref{}, fmt.Errorf("the document has no form")
	}
	dr, _ := d.dict(af["DR"])
	fonts, _ := d.dict(dr["Font"])
	ref, ok := fonts[drFont].(types.IndirectRef)
	if !ok {
		return nil, Ref{}, fmt.Errorf("the document's form has no vbdt font (was it prepared by vbdt sign --role approver?)")
	}
	type0, err := d.dict(ref)
	if err != nil {
		return nil, Ref{}, err
	}
	desc, _ := d.deref(type0["DescendantFonts"])
	da, _ := desc.(types.Array)
	if len(da) == 0 {
		return nil, Ref{}, damaged("font without descendant")
	}
	cid, _ := d.dict(da[0])
	fd, _ := d.dict(cid["FontDescriptor"])
	ffRef, ok := fd["FontFile2"].(types.IndirectRef)
	if !ok {
		return nil, Ref{}, damaged("the form font has no embedded file")
	}
	data, err := d.streamData(ffRef)
	if err != nil {
		return nil, Ref{}, damaged("form font file: %v", err)
	}
	f, err := parseFont("embedded form font", data)
	return f, Ref{Num: ref.ObjectNumber.Value(), Gen: ref.GenerationNumber.Value()}, err
}

// Signature is a signature value of the document as stored.
type Signature struct {
	Field     string
	SubFilter string
	ByteRange []int64
	Contents  []byte // the CMS, with the placeholder's trailing zero padding
	// ContentsHex reports whether /Contents is a hexadecimal string, as PDF 32000-1 §12.8.1
	// requires (the gap in the signed bytes is then exactly that string).
	ContentsHex bool
	// BadByteRange reports a /ByteRange entry that is not an integer.
	BadByteRange bool
	DocMDP       int // P of a certification signature, 0 otherwise
	// Dictionary entries shown to the user, as the final revision has them.
	Name, Reason, Location, ContactInfo string
	M                                   time.Time // the claimed signing time, zero if absent or unreadable
	Filter                              string
	// Cert holds the DER certificates of /Cert (adbe.x509.rsa_sha1 signatures), signer first.
	Cert [][]byte
	// Object is the number of the signature dictionary's object, 0 when it is direct.
	Object int
	// Lock is the signature's FieldMDP: the fields it locks against later changes (from its
	// /Reference, else from its field's /Lock dictionary), or nil.
	Lock *FieldLock
}

// FieldLock is a FieldMDP transform (PDF 32000-1 §12.8.2.4): Action All locks every field,
// Include the Fields named, Exclude all but them.
type FieldLock struct {
	Action string   `json:"action"`
	Fields []string `json:"fields,omitempty"`
}

// Locks reports whether the lock covers the field name. Names match as pyHanko matches them,
// by prefix (a lock on "Sig1" covers "Sig10"): the stricter reading.
func (l *FieldLock) Locks(name string) bool {
	if l == nil {
		return false
	}
	listed := false
	for _, f := range l.Fields {
		listed = listed || strings.HasPrefix(name, f)
	}
	switch l.Action {
	case "All":
		return true
	case "Include":
		return listed
	case "Exclude":
		return !listed
	}
	return false
}

// stringBytes is the bytes of a string object, nil for anything else.
func stringBytes(o types.Object) []byte {
	switch v := o.(type) {
	case types.HexLiteral:
		b, _ := v.Bytes()
		return b
	case types.StringLiteral:
		b, _ := types.Unescape(v.Value())
		return b
	}
	return nil
}

// textOf decodes a text string entry, "" when it is absent or not a string.
func textOf(d *Doc, o types.Object) string {
	o, err := d.deref(o)
	if err != nil || o == nil {
		return ""
	}
	return decodeText(o)
}

// fieldLock reads a FieldMDP transform's parameters (or a /Lock dictionary).
func (d *Doc) fieldLock(o types.Object) *FieldLock {
	p, _ := d.dict(o)
	if p == nil {
		return nil
	}
	action, _ := p["Action"].(types.Name)
	l := &FieldLock{Action: string(action)}
	if a, ok := d.array(p["Fields"]); ok {
		for _, f := range a {
			if v, err := d.deref(f); err == nil {
				l.Fields = append(l.Fields, decodeText(v))
			}
		}
	}
	return l
}

// Signatures lists the signed signature fields (read once).
func (d *Doc) Signatures() ([]Signature, error) {
	fields, err := d.Fields()
	if err != nil {
		return nil, err
	}
	if d.form.sigsDone {
		return d.form.sigs, nil
	}
	d.form.sigs, d.form.sigsDone = d.signaturesOf(fields), true
	return d.form.sigs, nil
}

func (d *Doc) signaturesOf(fields []Field) []Signature {
	var out []Signature
	for _, f := range fields {
		if f.Type != "Sig" {
			continue
		}
		v, err := d.dict(f.dict["V"])
		if err != nil || v == nil {
			continue
		}
		s := Signature{Field: f.Name}
		if sf, ok := v["SubFilter"].(types.Name); ok {
			s.SubFilter = string(sf)
		}
		if ref, ok := f.dict["V"].(types.IndirectRef); ok {
			s.Object = ref.ObjectNumber.Value()
		}
		br, _ := d.deref(v["ByteRange"])
		if a, ok := br.(types.Array); ok {
			for _, n := range a {
				i, ok := n.(types.Integer)
				s.BadByteRange = s.BadByteRange || !ok
				s.ByteRange = append(s.ByteRange, int64(i))
			}
		}
		s.Contents = stringBytes(v["Contents"])
		_, s.ContentsHex = v["Contents"].(types.HexLiteral)
		s.Name, s.Reason = textOf(d, v["Name"]), textOf(d, v["Reason"])
		s.Location, s.ContactInfo = textOf(d, v["Location"]), textOf(d, v["ContactInfo"])
		if m := textOf(d, v["M"]); m != "" {
			s.M, _ = types.DateTime(m, true)
		}
		if fl, ok := v["Filter"].(types.Name); ok {
			s.Filter = string(fl)
		}
		certs, _ := d.deref(v["Cert"])
		if a, ok := certs.(types.Array); ok {
			for _, c := range a {
				if c, err := d.deref(c); err == nil {
					s.Cert = append(s.Cert, stringBytes(c))
				}
			}
		} else if certs != nil {
			s.Cert = append(s.Cert, stringBytes(certs))
		}
		if refs, ok := d.array(v["Reference"]); ok {
			for _, r := range refs {
				sr, _ := d.dict(r)
				tp, _ := d.dict(sr["TransformParams"])
				switch m, _ := sr["TransformMethod"].(types.Name); {
				case m == "DocMDP" && tp != nil:
					s.DocMDP = int(num(tp["P"]))
				case m == "FieldMDP" && tp != nil:
					s.Lock = d.fieldLock(tp)
				}
			}
		}
		if s.Lock == nil && f.dict["Lock"] != nil {
			s.Lock = d.fieldLock(f.dict["Lock"])
		}
		out = append(out, s)
	}
	return out
}
