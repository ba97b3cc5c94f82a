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
	Obj   int
	Added bool     // new after the revision; otherwise changed
	Type  string   // /Type, or /FT for fields, or "stream"
	Keys  []string // dictionary keys whose values differ (changed objects)
	Field string   // /T of a changed field
	// NewAnnots are the subtypes of the annotations a changed page gained (Widget for fields).
	NewAnnots []string
}

// Changes lists the objects added or changed, in the document of total bytes in f, after the
// revision that ends at size bytes (a signature's signed size), comparing what both revisions
// resolve each object number to.
func Changes(f io.ReaderAt, total, size int64) ([]Change, error) {
	before, err := Open(io.NewSectionReader(f, 0, size), size)
	if err != nil {
		return nil, err
	}
	after, err := Open(io.NewSectionReader(f, 0, total), total)
	if err != nil {
		return nil, err
	}
	if err := before.lr.loadAll(); err != nil {
		return nil, err
	}
	if err := after.lr.loadAll(); err != nil {
		return nil, err
	}
	bx, ax := before.xref(), after.xref()
	var out []Change
	nums := make([]int, 0, len(ax.Table))
	for n := range ax.Table {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		e := ax.Table[n]
		if n == 0 || e == nil || e.Free || e.Object == nil {
			continue
		}
		c := Change{Obj: n, Type: typeOf(e.Object)}
		if c.Type == "XRef" || c.Type == "ObjStm" { // containers: what they hold is compared
			continue
		}
		old := bx.Table[n]
		if old == nil || old.Free || old.Object == nil {
			c.Added = true
			out = append(out, c)
			continue
		}
		if location(bx, n) == location(ax, n) || same(before, after, old.Object, e.Object) {
			continue
		}
		od, oOK := asDict(old.Object)
		nd, nOK := asDict(e.Object)
		if oOK && nOK {
			for k, v := range nd {
				if ov, ok := od[k]; !ok || ov.PDFString() != v.PDFString() {
					c.Keys = append(c.Keys, k)
				}
			}
			for k := range od {
				if _, ok := nd[k]; !ok {
					c.Keys = append(c.Keys, k)
				}
			}
			sort.Strings(c.Keys)
			if t, ok := nd["T"]; ok {
				c.Field = decodeText(t)
			}
			if slices.Contains(c.Keys, "Annots") {
				c.NewAnnots = newAnnots(before, after, od["Annots"], nd["Annots"])
			}
		} else {
			c.Keys = []string{"(content)"}
		}
		out = append(out, c)
	}
	return out, nil
}

// newAnnots lists the subtypes of the annotations in the array now that were not in was.
func newAnnots(before, after *Doc, was, now types.Object) []string {
	old := map[string]bool{}
	if a, ok := derefArray(before, was); ok {
		for _, o := range a {
			old[o.PDFString()] = true
		}
	}
	var out []string
	a, _ := derefArray(after, now)
	for _, o := range a {
		if old[o.PDFString()] {
			continue
		}
		d, _ := after.dict(o)
		st, _ := d["Subtype"].(types.Name)
		out = append(out, string(st))
	}
	return out
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

// location is where the cross-reference puts object n: an object at the same place in both
// revisions is the same object.
func location(x *model.XRefTable, n int) [3]int64 {
	e := x.Table[n]
	switch {
	case e.Compressed:
		return [3]int64{int64(*e.ObjectStream), int64(*e.ObjectStreamInd), location(x, *e.ObjectStream)[0]}
	case e.Offset != nil:
		return [3]int64{*e.Offset, -1, -1}
	}
	return [3]int64{-1, -1, -1}
}

// same compares two objects by content.
func same(da, db *Doc, a, b types.Object) bool {
	sa, aStream := a.(types.StreamDict)
	sb, bStream := b.(types.StreamDict)
	if !aStream && !bStream {
		return a.PDFString() == b.PDFString()
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
