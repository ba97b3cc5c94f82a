package pdf

import (
	"bytes"
	"io"
	"slices"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Change is an object that differs between a signed revision and the whole document.
type Change struct {
	Obj     int
	Added   bool     // new after the revision
	Deleted bool     // in the revision, freed or missing since
	Type    string   // /Type, /Type/FT or /FT for fields, AcroForm, Info, Array, "stream", or trailer
	Subtype string   // /Subtype of a changed annotation (Widget for a field's widget)
	Keys    []string // dictionary keys whose values differ (changed objects); AcroForm/K for a direct form's
	Field   string   // /T of a changed field
	// WasSigned: a changed signature field that already had a value in the revision.
	WasSigned bool
	// Of says what a changed array is: "Annots" (a page's) or "Fields" (the form's).
	Of string
	// NewAnnots are the annotations a changed page (or its /Annots array) gained; NewFields the
	// fields the form (or its /Fields array) gained; Removed counts items either lost.
	NewAnnots, NewFields []Annot
	Removed              int
}

// Annot describes an annotation or a field that was added to a page or to the form.
type Annot struct {
	Obj     int
	Subtype string // Widget, FreeText, …
	FT      string // the field type of a widget or field (Sig, Tx, …)
	Visible bool   // a rectangle of some area (hidden flags notwithstanding, as pyHanko judges)
	Signed  bool   // a signature field with a value
}

// Changes lists the objects added, changed or deleted, in the document of total bytes in f,
// after the revision that ends at size bytes (a signature's signed size), comparing what both
// revisions resolve each object number to.
func Changes(f io.ReaderAt, total, size int64) ([]Change, error) {
	before, err := Open(io.NewSectionReader(f, 0, size), size)
	if err != nil {
		return nil, err
	}
	after, err := Open(io.NewSectionReader(f, 0, total), total)
	if err != nil {
		return nil, err
	}
	bx, ax := before.xref(), after.xref()
	var out []Change
	if bx.Root == nil || ax.Root == nil || bx.Root.PDFString() != ax.Root.PDFString() {
		out = append(out, Change{Type: "trailer", Keys: []string{"Root"}})
	}
	roles := arrayRoles(after)
	acroForm := -1
	if cat, _, err := after.catalog(); err == nil {
		if r, ok := cat["AcroForm"].(types.IndirectRef); ok {
			acroForm = r.ObjectNumber.Value()
		}
	}
	info := -1
	if ax.Info != nil {
		info = ax.Info.ObjectNumber.Value()
	}
	// An object at the same place in both revisions is the same object: only the others are
	// parsed and compared (most of a document is the same, and parsing is the cost).
	var nums []int
	for n, e := range ax.Table {
		if n == 0 || inUse(e) && samePlace(bx, ax, n) {
			continue
		}
		nums = append(nums, n)
	}
	for n, e := range bx.Table {
		if _, ok := ax.Table[n]; !ok && n != 0 && inUse(e) {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		if err := before.lr.load(n); err != nil {
			return nil, err
		}
		if err := after.lr.load(n); err != nil {
			return nil, err
		}
		e, old := ax.Table[n], bx.Table[n]
		if !live(e) {
			if live(old) && !container(old.Object) {
				out = append(out, Change{Obj: n, Deleted: true, Type: typeOf(old.Object)})
			}
			continue
		}
		c := Change{Obj: n, Type: typeOf(e.Object)}
		if container(e.Object) { // containers: what they hold is compared
			continue
		}
		switch n {
		case acroForm:
			c.Type = "AcroForm"
		case info:
			c.Type = "Info"
		}
		if !live(old) {
			c.Added = true
			out = append(out, c)
			continue
		}
		if same(before, after, old.Object, e.Object) {
			continue
		}
		od, oOK := asDict(old.Object)
		nd, nOK := asDict(e.Object)
		switch {
		case oOK && nOK:
			if c.Keys = diffKeys(od, nd); len(c.Keys) == 0 {
				c.Keys = []string{"(stream data)"}
			}
			if t, ok := nd["T"]; ok {
				c.Field = decodeText(t)
			}
			if st, ok := nd["Subtype"].(types.Name); ok {
				c.Subtype = string(st)
			}
			if _, signed := od["V"]; signed && od["FT"] == types.Name("Sig") {
				c.WasSigned = true
			}
			if slices.Contains(c.Keys, "Annots") {
				c.NewAnnots, c.Removed = gained(before, after, od["Annots"], nd["Annots"])
			}
			if c.Type == "AcroForm" && slices.Contains(c.Keys, "Fields") {
				c.NewFields, c.Removed = gained(before, after, od["Fields"], nd["Fields"])
			}
			if c.Type == "Catalog" && slices.Contains(c.Keys, "AcroForm") {
				directForm(before, after, od, nd, &c)
			}
		case roles[n] != "":
			c.Type, c.Of = "Array", roles[n]
			added, removed := gained(before, after, old.Object, e.Object)
			if c.Of == "Fields" {
				c.NewFields = added
			} else {
				c.NewAnnots = added
			}
			c.Removed = removed
		default:
			c.Keys = []string{"(content)"}
		}
		out = append(out, c)
	}
	return out, nil
}

func live(e *model.XRefTableEntry) bool { return inUse(e) && e.Object != nil }

// inUse: the cross-reference entry is of an object in use, parsed or not.
func inUse(e *model.XRefTableEntry) bool { return e != nil && !e.Free }

// container is a cross-reference or object stream: the objects it holds are compared.
func container(o types.Object) bool {
	t := typeOf(o)
	return t == "XRef" || t == "ObjStm"
}

// diffKeys lists the keys whose values differ between two dictionaries.
func diffKeys(od, nd types.Dict) []string {
	var keys []string
	for k, v := range nd {
		if ov, ok := od[k]; !ok || str(ov) != str(v) {
			keys = append(keys, k)
		}
	}
	for k := range od {
		if _, ok := nd[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// directForm describes the change of a form held directly in the catalog as keys AcroForm/K.
func directForm(before, after *Doc, od, nd types.Dict, c *Change) {
	of, oOK := od["AcroForm"].(types.Dict)
	nf, nOK := nd["AcroForm"].(types.Dict)
	if !nOK || (!oOK && od["AcroForm"] != nil) {
		return // the form was moved or removed: the catalog's AcroForm key stays changed
	}
	keys := slices.DeleteFunc(c.Keys, func(k string) bool { return k == "AcroForm" })
	for _, k := range diffKeys(of, nf) {
		keys = append(keys, "AcroForm/"+k)
	}
	c.Keys = keys
	if slices.Contains(keys, "AcroForm/Fields") {
		c.NewFields, c.Removed = gained(before, after, of["Fields"], nf["Fields"])
	}
}

// arrayRoles finds the indirect arrays that are pages' /Annots or the form's /Fields, by
// object number.
func arrayRoles(d *Doc) map[int]string {
	roles := map[int]string{}
	if af, err := d.acroForm(); err == nil && af != nil {
		if r, ok := af["Fields"].(types.IndirectRef); ok {
			roles[r.ObjectNumber.Value()] = "Fields"
		}
	}
	for n := 1; n <= d.pages; n++ {
		if pd, _, _, err := d.page(n); err == nil {
			if r, ok := pd["Annots"].(types.IndirectRef); ok {
				roles[r.ObjectNumber.Value()] = "Annots"
			}
		}
	}
	return roles
}

// gained lists the items of the array now that were not in was, and counts those of was that
// are gone.
func gained(before, after *Doc, was, now types.Object) ([]Annot, int) {
	old := map[string]bool{}
	if a, ok := derefArray(before, was); ok {
		for _, o := range a {
			old[str(o)] = true
		}
	}
	var out []Annot
	a, _ := derefArray(after, now)
	kept := 0
	for _, o := range a {
		if old[str(o)] {
			kept++
			continue
		}
		out = append(out, describe(after, o))
	}
	return out, len(old) - kept
}

// describe reads what an annotation or field is.
func describe(d *Doc, o types.Object) Annot {
	var a Annot
	if r, ok := o.(types.IndirectRef); ok {
		a.Obj = r.ObjectNumber.Value()
	}
	ad, _ := d.dict(o)
	if ad == nil {
		return a
	}
	st, _ := ad["Subtype"].(types.Name)
	a.Subtype = string(st)
	ft, _ := d.deref(ad["FT"])
	v := ad["V"]
	if ft == nil { // a widget of a field: the field type and value are its parent's
		if parent, _ := d.dict(ad["Parent"]); parent != nil {
			ft, _ = d.deref(parent["FT"])
			v = parent["V"]
		}
	}
	if name, ok := ft.(types.Name); ok {
		a.FT = string(name)
	}
	a.Signed = a.FT == "Sig" && v != nil
	if a.Subtype != "Widget" { // a field without its own widget: its kids show it
		if kids, ok := d.array(ad["Kids"]); ok {
			for _, k := range kids {
				if kd, _ := d.dict(k); kd != nil {
					r, _ := d.rect(kd["Rect"])
					a.Visible = a.Visible || r.Width() > 0
				}
			}
			return a
		}
	}
	r, _ := d.rect(ad["Rect"])
	a.Visible = r.Width() > 0
	return a
}

func derefArray(d *Doc, o types.Object) (types.Array, bool) {
	o, err := d.deref(o)
	if err != nil {
		return nil, false
	}
	a, ok := o.(types.Array)
	return a, ok
}

func asDict(o types.Object) (types.Dict, bool) {
	switch v := o.(type) {
	case types.Dict:
		return v, true
	case types.StreamDict:
		return v.Dict, true
	}
	return nil, false
}

// location is where the cross-reference puts object n — its offset, or its object stream's
// number, index and offset — and whether that is known: an object at the same known place in
// both revisions is the same object.
func location(x *model.XRefTable, n int) ([3]int64, bool) {
	e := x.Table[n]
	switch {
	case e == nil || e.Free:
	case e.Compressed:
		if e.ObjectStream == nil || e.ObjectStreamInd == nil {
			break
		}
		if s := x.Table[*e.ObjectStream]; s != nil && !s.Free && !s.Compressed && s.Offset != nil {
			return [3]int64{int64(*e.ObjectStream), int64(*e.ObjectStreamInd), *s.Offset}, true
		}
	case e.Offset != nil:
		return [3]int64{*e.Offset, -1, -1}, true
	}
	return [3]int64{}, false
}

// samePlace reports whether object n stands at the same known place in both revisions.
func samePlace(bx, ax *model.XRefTable, n int) bool {
	b, okB := location(bx, n)
	a, okA := location(ax, n)
	return okB && okA && a == b
}

// str serializes an object, null included (a nil inside arrays and dictionaries).
func str(o types.Object) string {
	if o == nil {
		return "null"
	}
	return o.PDFString()
}

// same compares two objects by content.
func same(da, db *Doc, a, b types.Object) bool {
	sa, aStream := a.(types.StreamDict)
	sb, bStream := b.(types.StreamDict)
	if !aStream && !bStream {
		return str(a) == str(b)
	}
	if !aStream || !bStream || sa.Dict.PDFString() != sb.Dict.PDFString() {
		return false
	}
	ra, errA := da.lr.rawStream(&sa)
	rb, errB := db.lr.rawStream(&sb)
	return errA == nil && errB == nil && bytes.Equal(ra, rb)
}

func typeOf(o types.Object) string {
	d, ok := asDict(o)
	if !ok {
		return ""
	}
	if t, ok := d["Type"].(types.Name); ok {
		if ft, ok := d["FT"].(types.Name); ok {
			return string(t) + "/" + string(ft)
		}
		return string(t)
	}
	if ft, ok := d["FT"].(types.Name); ok {
		return string(ft)
	}
	if _, ok := o.(types.StreamDict); ok {
		return "stream"
	}
	return ""
}
