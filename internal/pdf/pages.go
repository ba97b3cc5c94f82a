package pdf

import (
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// maxTreeDepth bounds the walk down a page tree.
const maxTreeDepth = 64

// countPages reads the page count at the root of the page tree.
func (d *Doc) countPages() (int, error) {
	cat, _, err := d.catalog()
	if err != nil {
		return 0, err
	}
	pages, err := d.dict(cat["Pages"])
	if err != nil {
		return 0, damaged("the page tree: %v", err)
	}
	if pages == nil {
		return 0, damaged("no page tree")
	}
	c, err := d.deref(pages["Count"])
	n, ok := c.(types.Integer)
	if err != nil || !ok || n < 0 {
		return 0, damaged("the page tree has no /Count")
	}
	return int(n), nil
}

// pageInfo is a page with what it inherits from the page tree.
type pageInfo struct {
	dict      types.Dict
	ref       types.IndirectRef
	box       Rect // the crop box, else the media box
	resources types.Dict
}

// findPage walks the page tree down to page n (1-based), parsing only the nodes on the way.
func (d *Doc) findPage(n int) (*pageInfo, error) {
	switch {
	case d.pages == 0:
		return nil, fmt.Errorf("the document has no pages")
	case n < 1 || n > d.pages:
		return nil, fmt.Errorf("page %d does not exist (the document has %d)", n, d.pages)
	}
	cat, _, err := d.catalog()
	if err != nil {
		return nil, err
	}
	bad := func(why string) error { return damaged("page %d: %s", n, why) }
	node, rest := cat["Pages"], n
	var media, crop, res types.Object
	seen := map[int]bool{}
	for range maxTreeDepth {
		ref, ok := node.(types.IndirectRef)
		if !ok || seen[ref.ObjectNumber.Value()] {
			return nil, bad("the page tree is malformed")
		}
		seen[ref.ObjectNumber.Value()] = true
		nd, err := d.dict(ref)
		if err != nil {
			return nil, damaged("page %d: %v", n, err)
		}
		if nd == nil {
			return nil, bad("a page tree node is missing")
		}
		if v, ok := nd["MediaBox"]; ok {
			media = v
		}
		if v, ok := nd["CropBox"]; ok {
			crop = v
		}
		if v, ok := nd["Resources"]; ok {
			res = v
		}
		kids, isNode := d.array(nd["Kids"])
		if !isNode {
			if rest != 1 {
				return nil, bad("the page tree's counts are wrong")
			}
			p := &pageInfo{dict: nd, ref: ref, box: Rect{0, 0, 595.28, 841.89}}
			if b, ok := d.rect(crop); ok {
				p.box = b
			} else if b, ok := d.rect(media); ok {
				p.box = b
			}
			p.resources, _ = d.dict(res)
			return p, nil
		}
		next := types.Object(nil)
		for _, k := range kids {
			kd, err := d.dict(k)
			if err != nil {
				return nil, damaged("page %d: %v", n, err)
			}
			if kd == nil {
				return nil, bad("a page tree node is missing")
			}
			count := 1
			if _, sub := kd["Kids"]; sub {
				c, _ := d.deref(kd["Count"])
				ci, ok := c.(types.Integer)
				if !ok || ci < 0 {
					return nil, bad("a page tree node has no /Count")
				}
				count = int(ci)
			}
			if rest <= count {
				next = k
				break
			}
			rest -= count
		}
		if next == nil {
			return nil, bad("the page tree's counts are wrong")
		}
		node = next
	}
	return nil, bad("the page tree is too deep")
}

func (d *Doc) array(o types.Object) (types.Array, bool) {
	o, err := d.deref(o)
	a, ok := o.(types.Array)
	return a, err == nil && ok
}

// rect reads a rectangle array.
func (d *Doc) rect(o types.Object) (Rect, bool) {
	a, ok := d.array(o)
	if !ok || len(a) != 4 {
		return Rect{}, false
	}
	var v [4]float64
	for i, x := range a {
		x, err := d.deref(x)
		if err != nil {
			return Rect{}, false
		}
		switch n := x.(type) {
		case types.Integer:
			v[i] = float64(n)
		case types.Float:
			v[i] = float64(n)
		default:
			return Rect{}, false
		}
	}
	r := Rect{min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3])}
	return r, r.Width() > 0 && r.Height() > 0
}
