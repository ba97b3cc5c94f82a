package pdf

import (
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Drawing is the content of an appearance: images and lines of text in a box whose origin is
// its bottom left corner.
type Drawing struct {
	// Opaque paints the box white first, covering what the page shows beneath (the "…" of a
	// "Số: …/QĐ-UBND" placeholder under the clerk's number).
	Opaque bool
	Images []PlacedImage
	Texts  []PlacedText
	Font   *Font // for Texts
}

// PlacedImage is an image scaled into a rectangle of the box.
type PlacedImage struct {
	Image *Image
	At    Rect
}

// PlacedText is one line of text with its baseline start.
type PlacedText struct {
	Text string
	X, Y float64
	Size float64
}

// Line draws one line of text in a box of r's size, opaque (it covers the placeholder beneath),
// left-aligned and vertically centred: 12 pt, or less in a box under 16 pt high or too narrow
// for the whole line, which is never cut off.
func Line(font *Font, text string, r Rect) Drawing {
	size, h := 12.0, r.Height()
	if h > 0 && h < 16 {
		size = h * 0.75
	}
	if w, err := font.Width(text, size); err == nil && w > r.Width()-2 && r.Width() > 2 {
		size *= (r.Width() - 2) / w
	}
	return Drawing{Opaque: true, Font: font, Texts: []PlacedText{{Text: text, X: 1, Y: (h - size*0.7) / 2, Size: size}}}
}

// Fit scales a drawing made for a box of size from into a box of size to, keeping its
// proportions and centring it: a role's appearance drawn into a prepared field of another size.
func (d Drawing) Fit(from, to Rect) Drawing {
	if from.Width() <= 0 || from.Height() <= 0 {
		return d
	}
	s := min(to.Width()/from.Width(), to.Height()/from.Height())
	dx, dy := (to.Width()-s*from.Width())/2, (to.Height()-s*from.Height())/2
	out := Drawing{Opaque: d.Opaque, Font: d.Font}
	for _, im := range d.Images {
		out.Images = append(out.Images, PlacedImage{Image: im.Image,
			At: Rect{X1: dx + s*im.At.X1, Y1: dy + s*im.At.Y1, X2: dx + s*im.At.X2, Y2: dy + s*im.At.Y2}})
	}
	for _, t := range d.Texts {
		out.Texts = append(out.Texts, PlacedText{Text: t.Text, X: dx + s*t.X, Y: dy + s*t.Y, Size: s * t.Size})
	}
	return out
}

// formXObject writes a drawing of size w×h as a Form XObject. fontRef, when set, is an
// already embedded font to use instead of embedding d.Font again.
func (inc *Increment) formXObject(d Drawing, w, h float64, fontRef *Ref) (Ref, error) {
	var cs strings.Builder
	if d.Opaque {
		fmt.Fprintf(&cs, "q 1 g 0 0 %.3f %.3f re f Q\n", w, h)
	}
	xobjects := types.Dict{}
	for i, pi := range d.Images {
		name := fmt.Sprintf("Im%d", i+1)
		xobjects[name] = pi.Image.embed(inc).ref()
		fmt.Fprintf(&cs, "q %.3f 0 0 %.3f %.3f %.3f cm /%s Do Q\n", pi.At.Width(), pi.At.Height(), pi.At.X1, pi.At.Y1, name)
	}
	res := types.Dict{}
	if len(xobjects) > 0 {
		res["XObject"] = xobjects
	}
	if len(d.Texts) > 0 {
		if d.Font == nil {
			return Ref{}, fmt.Errorf("text in an appearance needs a font")
		}
		fr := Ref{}
		if fontRef != nil {
			fr = *fontRef
		} else {
			texts := make([]string, len(d.Texts))
			for i, t := range d.Texts {
				texts[i] = t.Text
			}
			fr = d.Font.embed(inc, texts)
		}
		res["Font"] = types.Dict{"F1": fr.ref()}
		cs.WriteString("BT 0 g\n")
		for _, t := range d.Texts {
			hex, err := d.Font.show(t.Text)
			if err != nil {
				return Ref{}, err
			}
			fmt.Fprintf(&cs, "/F1 %.2f Tf 1 0 0 1 %.3f %.3f Tm %s Tj\n", t.Size, t.X, t.Y, hex)
		}
		cs.WriteString("ET\n")
	}
	return inc.AddStream(types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Form"),
		"BBox": types.Array{types.Integer(0), types.Integer(0), types.Float(w), types.Float(h)}, "Resources": res},
		[]byte(cs.String())), nil
}

func rectArray(r Rect) types.Array {
	return types.Array{types.Float(r.X1), types.Float(r.Y1), types.Float(r.X2), types.Float(r.Y2)}
}

// acroForm returns the working AcroForm dictionary, creating it in the catalog if needed.
func (inc *Increment) acroForm() (types.Dict, error) {
	_, rootRef, err := inc.d.catalog()
	if err != nil {
		return nil, err
	}
	cat, err := inc.modifyDict(rootRef)
	if err != nil {
		return nil, err
	}
	switch af := cat["AcroForm"].(type) {
	case types.IndirectRef:
		return inc.modifyDict(af)
	case types.Dict:
		return af, nil // part of the working catalog
	}
	af := types.Dict{"Fields": types.Array{}}
	cat["AcroForm"] = af
	return af, nil
}

// addField appends a field (a merged field and widget) to the AcroForm and its page's /Annots.
func (inc *Increment) addField(page int, field types.Dict) (Ref, error) {
	pd, pageRef, err := inc.modifyPage(page)
	if err != nil {
		return Ref{}, err
	}
	field["P"] = pageRef
	ref := inc.Add(field)
	af, err := inc.acroForm()
	if err != nil {
		return Ref{}, err
	}
	if err := inc.appendTo(af, "Fields", ref.ref()); err != nil {
		return Ref{}, err
	}
	if err := inc.appendTo(pd, "Annots", ref.ref()); err != nil {
		return Ref{}, err
	}
	return ref, nil
}

// appendTo appends to the array under key in a working dictionary: a direct array, or an
// indirect one (then that object is changed).
func (inc *Increment) appendTo(d types.Dict, key string, items ...types.Object) error {
	switch v := d[key].(type) {
	case nil:
		d[key] = types.Array(items)
	case types.Array:
		d[key] = append(v, items...)
	case types.IndirectRef:
		o, err := inc.modify(v)
		if err != nil {
			return err
		}
		a, ok := o.(types.Array)
		if !ok {
			return damaged("/%s is not an array", key)
		}
		inc.working[v.ObjectNumber.Value()] = append(a, items...)
	default:
		return damaged("/%s is not an array", key)
	}
	return nil
}
