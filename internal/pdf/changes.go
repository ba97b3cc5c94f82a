package pdf

import (
	"bytes"
	"cmp"
	"io"
	"slices"
	"sort"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Change is an object that differs between a signed revision and the whole document. What an
// object is — its type, the field it belongs to — is read from the signed revision: a later
// revision cannot relabel an object to pass it off as something harmless.
type Change struct {
	Obj     int
	Added   bool     // new after the revision
	Deleted bool     // in the revision, freed or missing since
	Type    string   // /Type, /Type/FT or /FT for fields, AcroForm, Info, Array, "stream", or trailer
	Keys    []string // dictionary keys whose values differ (changed objects); AcroForm/K for a direct form's
	// Retyped: the object's /Type or kind (dictionary, stream, array) is not what it was.
	Retyped bool
	// Field is the full name of the form field a changed object is, or is a widget of, in the
	// signed revision; FieldType its type; Widget says the object is a separate widget of it;
	// WasSigned that the field is a signature field that already had a value.
	Field     string
	FieldType string
	Widget    bool
	WasSigned bool
	// AppearanceOf names the field a changed stream is the only appearance of (its widget's
	// /AP), as form fillers rewrite them in place.
	AppearanceOf string
	// Dangling: an added object whose number the signed revision already referred to.
	Dangling bool
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
	// DocTimeStamp: a signature field whose value is a document timestamp (PAdES B-LTA).
	DocTimeStamp bool
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
	info := -1 // the signed revision's information dictionary
	if bx.Info != nil {
		info = bx.Info.ObjectNumber.Value()
	}
	if ax.Info != nil && (bx.Info == nil || *ax.Info != *bx.Info) && inUse(bx.Table[ax.Info.ObjectNumber.Value()]) {
		out = append(out, Change{Type: "trailer", Keys: []string{"Info"}}) // pointed at an object that was something else
	}
	roles := arrayRoles(before)
	acroForm := -1
	if cat, _, err := before.catalog(); err == nil {
		if r, ok := cat["AcroForm"].(types.IndirectRef); ok {
			acroForm = r.ObjectNumber.Value()
		}
	}
	form, _ := before.formTree()
	appearances := appearanceOwners(before, form)
	dss := dssObjects(before)
	metadata := -1 // the catalog's XMP stream
	if cat, _, err := before.catalog(); err == nil {
		if r, ok := cat["Metadata"].(types.IndirectRef); ok {
			metadata = r.ObjectNumber.Value()
		}
	}
	// An object at the same place in both revisions is the same object: only the others are
	// parsed and compared (most of a document is the same, and parsing is the cost).
	// An entry of the signed revision placed at or past its end names no object of it (it
	// resolves to null there): whatever a later revision puts there is added, not the same.
	signed := func(n int) bool { return inside(bx, n, size) }
	var nums []int
	for n, e := range ax.Table {
		if n == 0 || inUse(e) && samePlace(bx, ax, n) && signed(n) {
			continue
		}
		nums = append(nums, n)
	}
	for n, e := range bx.Table {
		if _, ok := ax.Table[n]; !ok && n != 0 && inUse(e) && signed(n) {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	var added []int
	for _, n := range nums {
		e, old := ax.Table[n], bx.Table[n]
		if !signed(n) {
			old = nil
		} else if err := before.lr.load(n); err != nil {
			return nil, err
		}
		if err := after.lr.load(n); err != nil {
			return nil, err
		}
		if !live(e) {
			if live(old) {
				out = append(out, Change{Obj: n, Deleted: true, Type: typeOf(old.Object)})
			}
			continue
		}
		if !live(old) {
			added = append(added, n) // judged by what refers to it
			continue
		}
		// a changed object is what the signed revision says it was
		c := Change{Obj: n, Type: typeOf(old.Object), Retyped: typeOf(old.Object) != typeOf(e.Object) || kind(old.Object) != kind(e.Object)}
		switch c.Type { // labels that grant a permission come from the object's role, never from its /Type
		case "DSS", "Info", "Metadata", "VRI":
			c.Type = "(" + c.Type + ")"
			if n == metadata {
				c.Type = "Metadata"
			}
		}
		if container(old.Object) {
			continue // its objects are compared one by one
		}
		if same(before, after, old.Object, e.Object) {
			continue
		}
		switch n {
		case acroForm:
			c.Type = "AcroForm"
		case info:
			c.Type = "Info"
		}
		if k := dss[n]; k != "" && dssShaped(before, old.Object, k) && dssShaped(after, e.Object, k) && !usedOutsideDSS(before, n, dss) {
			c.Type = "DSS" // validation data, as it was and as it is: nothing else in its clothes
		}
		if node := form[n]; node != nil {
			c.Field, c.FieldType, c.Widget, c.WasSigned = node.name, node.ft, node.widget && !node.terminal, node.signed
		}
		if owner := appearances[n]; owner != nil {
			// a stream that something besides its widget uses (a page's resources) is not
			// only an appearance: redrawing it changes that too
			elsewhere, err := referrers(before, map[int]bool{n: true}, owner.holders)
			if err != nil {
				return nil, err
			}
			if len(elsewhere[n]) == 0 {
				c.AppearanceOf, c.WasSigned = owner.name, owner.signed
				c.FieldType = cmp.Or(c.FieldType, owner.ft)
			}
		}
		od, oOK := asDict(old.Object)
		nd, nOK := asDict(e.Object)
		switch {
		case oOK && nOK:
			if c.Keys = diffKeys(od, nd); len(c.Keys) == 0 {
				c.Keys = []string{"(stream data)"}
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
		case roles[n] != "" && !c.Retyped:
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
	dangling, err := danglingRefs(before, added)
	if err != nil {
		return nil, err
	}
	for _, n := range dangling {
		out = append(out, Change{Obj: n, Added: true, Dangling: true, Type: typeOf(ax.Table[n].Object)})
	}
	return out, nil
}

// kind is what an object is made of: a dictionary, a stream, an array or another.
func kind(o types.Object) string {
	switch o.(type) {
	case types.StreamDict:
		return "stream"
	case types.Dict:
		return "dict"
	case types.Array:
		return "array"
	}
	return "other"
}

// apOwner is the widget an appearance stream belongs to, with the objects that hold the
// reference to it (the widget, and its /AP and per-state dictionaries when indirect).
type apOwner struct {
	*formNode
	holders map[int]bool
}

// appearanceOwners maps each appearance stream of a widget in the form tree (its /AP /N, /D,
// /R, directly or per state) to the widget's field, when no other widget refers to it.
func appearanceOwners(d *Doc, form map[int]*formNode) map[int]*apOwner {
	owners := map[int]*apOwner{}
	uses := map[int]int{}
	for n, node := range form {
		if !node.widget {
			continue
		}
		holders := map[int]bool{n: true}
		if r, ok := node.dict["AP"].(types.IndirectRef); ok {
			holders[r.ObjectNumber.Value()] = true
		}
		ap, _ := d.dict(node.dict["AP"])
		for _, k := range []string{"N", "D", "R"} {
			refs := []types.Object{ap[k]}
			if states, _ := d.dict(ap[k]); states != nil {
				if r, ok := ap[k].(types.IndirectRef); ok {
					holders[r.ObjectNumber.Value()] = true
				}
				refs = refs[:0]
				for _, v := range states {
					refs = append(refs, v)
				}
			}
			for _, r := range refs {
				if ir, ok := r.(types.IndirectRef); ok {
					n := ir.ObjectNumber.Value()
					uses[n]++
					owners[n] = &apOwner{formNode: node, holders: holders}
				}
			}
		}
	}
	for n, u := range uses {
		if u > 1 {
			delete(owners, n)
		}
	}
	return owners
}

// danglingRefs returns the added objects whose numbers some object of the signed revision (or
// its trailer) refers to: a reference to nothing there, filled in later, changes what the
// signed revision shows.
func danglingRefs(before *Doc, added []int) ([]int, error) {
	if len(added) == 0 {
		return nil, nil
	}
	want := map[int]bool{}
	for _, n := range added {
		want[n] = true
	}
	refs, err := referrers(before, want, nil)
	if err != nil {
		return nil, err
	}
	var out []int
	for n := range refs {
		out = append(out, n)
	}
	sort.Ints(out)
	return out, nil
}

// referrers finds, for each wanted object number, the objects of the document (but those
// skipped) that refer to it; the trailer's /Info counts as object 0.
func referrers(d *Doc, want, skip map[int]bool) (map[int][]int, error) {
	found := map[int][]int{}
	var walk func(from int, o types.Object, depth int)
	walk = func(from int, o types.Object, depth int) {
		if depth > 64 {
			return
		}
		switch v := o.(type) {
		case types.IndirectRef:
			if n := v.ObjectNumber.Value(); want[n] && !slices.Contains(found[n], from) {
				found[n] = append(found[n], from)
			}
		case types.Dict:
			for _, x := range v {
				walk(from, x, depth+1)
			}
		case types.StreamDict:
			walk(from, v.Dict, depth+1)
		case types.Array:
			for _, x := range v {
				walk(from, x, depth+1)
			}
		}
	}
	x := d.xref()
	for nr, e := range x.Table {
		if !inUse(e) || skip[nr] || !inside(x, nr, d.size) { // outside the file: null, no object
			continue
		}
		if e.Object == nil && !e.Compressed && e.Offset != nil {
			// a cheap superset test on the object's bytes before parsing it: most objects of
			// a revision (fonts, pages) cannot refer to the few numbers wanted
			if raw := d.lr.dictBytes(*e.Offset); raw != nil && !bytes.Contains(raw, []byte("%")) && !mayRefer(raw, want) {
				continue
			}
		}
		if err := d.lr.load(nr); err != nil {
			return nil, err
		}
		walk(nr, e.Object, 0)
	}
	if x.Info != nil {
		walk(0, *x.Info, 0)
	}
	return found, nil
}

// mayRefer reports whether raw object syntax holds a reference "N G R" to a wanted number N
// (comments, which may separate the tokens, are left to the caller).
func mayRefer(raw []byte, want map[int]bool) bool {
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0 }
	digit := func(c byte) bool { return '0' <= c && c <= '9' }
	for i := 0; ; i++ {
		j := bytes.IndexByte(raw[i:], 'R')
		if j < 0 {
			return false
		}
		i += j
		k := i - 1
		for k >= 0 && space(raw[k]) {
			k--
		}
		if k == i-1 || k < 0 || !digit(raw[k]) { // "R" after white space and a generation
			continue
		}
		for k >= 0 && digit(raw[k]) {
			k--
		}
		e := k
		for k >= 0 && space(raw[k]) {
			k--
		}
		if k == e || k < 0 || !digit(raw[k]) {
			continue
		}
		end := k + 1
		for k >= 0 && digit(raw[k]) {
			k--
		}
		if end-(k+1) > 10 {
			continue
		}
		if n, err := strconv.Atoi(string(raw[k+1 : end])); err == nil && want[n] {
			return true
		}
	}
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

// directForm describes the change of a form held in the catalog (directly before, directly
// or as a new object after) as keys AcroForm/K, so that the form's rules judge it.
func directForm(before, after *Doc, od, nd types.Dict, c *Change) {
	of, oOK := od["AcroForm"].(types.Dict)
	nf, nOK := nd["AcroForm"].(types.Dict)
	if r, ok := nd["AcroForm"].(types.IndirectRef); ok && oOK && !inUse(before.xref().Table[r.ObjectNumber.Value()]) {
		nf, _ = after.dict(r) // moved into an object of its own
		nOK = nf != nil
	}
	if !oOK || !nOK {
		return // the form was replaced or removed: the catalog's AcroForm key stays changed
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
	if sd, _ := d.dict(v); a.Signed && sd != nil {
		a.DocTimeStamp = sd["Type"] == types.Name("DocTimeStamp")
	}
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

// inside reports whether object n of the revision of size bytes stands inside it: at an offset
// before its end, directly or in an object stream that does.
func inside(x *model.XRefTable, n int, size int64) bool {
	e := x.Table[n]
	if e != nil && e.Compressed && e.ObjectStream != nil {
		e = x.Table[*e.ObjectStream]
	}
	return e != nil && !e.Free && !e.Compressed && e.Offset != nil && *e.Offset < size
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

// RevisionEnds lists where each revision of the document of size bytes in r ends: after each
// "%%EOF" marker and its end of line. A signature that signed one of them but is no longer in
// the final document's form is found by opening that revision.
func RevisionEnds(r io.ReaderAt, size int64) ([]int64, error) {
	const marker = "%%EOF"
	var ends []int64
	buf := make([]byte, min(1<<20, max(size, int64(len(marker)))))
	for off := int64(0); off < size; {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n == 0 && err != nil {
			return nil, err
		}
		chunk := buf[:n]
		for i := 0; ; {
			j := bytes.Index(chunk[i:], []byte(marker))
			if j < 0 {
				break
			}
			end := off + int64(i+j+len(marker))
			for k := i + j + len(marker); k < len(chunk) && (chunk[k] == '\r' || chunk[k] == '\n'); k++ {
				end++
			}
			ends = append(ends, end)
			i += j + len(marker)
		}
		if off+int64(n) >= size {
			break
		}
		off += int64(n) - int64(len(marker)) // a marker may straddle two reads
	}
	return slices.Compact(ends), nil
}

// dssObjects are the objects of the document security store, by what they are in it: its
// dictionary ("DSS"), its arrays ("array"), its VRI dictionary ("VRI") and the VRI entries
// ("entry"), when they are objects of their own. A later revision that changes them updates
// validation data (PAdES B-LT) only when, before and after, they have the shape of what they
// are (dssShaped): a /DSS or /VRI pointing at a page does not make the page validation data.
func dssObjects(d *Doc) map[int]string {
	out := map[int]string{}
	cat, _, err := d.catalog()
	if err != nil {
		return out
	}
	mark := func(o types.Object, kind string) {
		if r, ok := o.(types.IndirectRef); ok {
			out[r.ObjectNumber.Value()] = kind
		}
	}
	mark(cat["DSS"], "DSS")
	dss, err := d.dict(cat["DSS"])
	if err != nil || dss == nil {
		return out
	}
	for _, k := range []string{"Certs", "OCSPs", "CRLs"} {
		mark(dss[k], "array")
	}
	mark(dss["VRI"], "VRI")
	if vri, err := d.dict(dss["VRI"]); err == nil {
		for _, e := range vri {
			mark(e, "entry")
			if ed, err := d.dict(e); err == nil {
				for _, k := range []string{"Cert", "OCSP", "CRL"} {
					mark(ed[k], "array")
				}
			}
		}
	}
	return out
}

// dssShaped reports whether o (an object of d) has the shape of a part of a DSS of the kind
// dssObjects names: a dictionary with only the keys of its kind, an array of references only.
func dssShaped(d *Doc, o types.Object, kind string) bool {
	if kind == "array" {
		a, ok := o.(types.Array)
		if !ok {
			return false
		}
		for _, x := range a {
			if _, ok := x.(types.IndirectRef); !ok {
				return false
			}
		}
		return true
	}
	dict, ok := o.(types.Dict)
	if !ok {
		return false
	}
	keys, typ := map[string][]string{
		"DSS":   {"Type", "Certs", "OCSPs", "CRLs", "VRI"},
		"entry": {"Type", "Cert", "OCSP", "CRL", "TU", "TS"},
	}[kind], map[string]string{"DSS": "DSS", "entry": "VRI"}[kind]
	for k, v := range dict {
		switch {
		case kind == "VRI":
			// keys are signatures' hashes; values their entries, directly or by reference
			if _, ok := v.(types.IndirectRef); ok {
				continue
			}
			if !dssShaped(d, v, "entry") {
				return false
			}
		case !slices.Contains(keys, k):
			return false
		case k == "Type" && v != types.Name(typ):
			return false
		}
	}
	return true
}

// usedOutsideDSS reports whether an object of the signed revision other than the parts of its
// DSS (and the catalog's /DSS entry) refers to object n: a page's /Contents array or /Font
// dictionary that a DSS also lists is still the page's.
func usedOutsideDSS(d *Doc, n int, dss map[int]string) bool {
	skip := map[int]bool{}
	for k := range dss {
		skip[k] = true
	}
	_, root, err := d.catalog()
	if err != nil {
		return true
	}
	skip[root.ObjectNumber.Value()] = true
	refs, err := referrers(d, map[int]bool{n: true}, skip)
	if err != nil || len(refs[n]) > 0 {
		return true
	}
	cat, _, _ := d.catalog()
	rest := types.Dict{}
	for k, v := range cat {
		if k != "DSS" {
			rest[k] = v
		}
	}
	found := false
	var walk func(o types.Object, depth int)
	walk = func(o types.Object, depth int) {
		if depth > 64 || found {
			return
		}
		switch v := o.(type) {
		case types.IndirectRef:
			found = found || v.ObjectNumber.Value() == n
		case types.Dict:
			for _, x := range v {
				walk(x, depth+1)
			}
		case types.Array:
			for _, x := range v {
				walk(x, depth+1)
			}
		}
	}
	walk(rest, 0)
	// a VRI dictionary's values must be VRI entries, not other objects
	return found
}
