package pdf

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Ref is an indirect object of the document or of an increment.
type Ref struct {
	Num, Gen int
}

func (r Ref) String() string { return fmt.Sprintf("%d %d R", r.Num, r.Gen) }

func (r Ref) ref() types.IndirectRef { return *types.NewIndirectRef(r.Num, r.Gen) }

// Increment is a set of new and changed objects to append to a document as one incremental
// update. Changed objects are copies: the document's own objects are never modified.
type Increment struct {
	d       *Doc
	next    int
	bodies  map[int][]byte       // serialized objects, by number
	gens    map[int]int          // generation of each object written
	working map[int]types.Object // objects being changed, serialized at the end
}

// NewIncrement starts an incremental update of d.
func (d *Doc) NewIncrement() *Increment {
	return &Increment{d: d, next: d.nextObj, bodies: map[int][]byte{}, gens: map[int]int{}, working: map[int]types.Object{}}
}

// Reserve returns the number of a new object, to be given a body with Put.
func (inc *Increment) Reserve() Ref {
	r := Ref{Num: inc.next}
	inc.next++
	return r
}

// Put sets the raw body of an object (what stands between "N G obj" and "endobj").
func (inc *Increment) Put(r Ref, body []byte) {
	inc.bodies[r.Num] = body
	inc.gens[r.Num] = r.Gen
}

// Add stores a new object and returns its reference.
func (inc *Increment) Add(o types.Object) Ref {
	r := inc.Reserve()
	inc.Put(r, []byte(o.PDFString()))
	return r
}

// AddStream stores a new stream object with the given dictionary (Length is set) and data.
func (inc *Increment) AddStream(d types.Dict, data []byte) Ref {
	r := inc.Reserve()
	inc.PutStream(r, d, data)
	return r
}

// PutStream sets a stream object's dictionary and data.
func (inc *Increment) PutStream(r Ref, d types.Dict, data []byte) {
	d = d.Clone().(types.Dict)
	d.Update("Length", types.Integer(len(data)))
	var b bytes.Buffer
	b.WriteString(d.PDFString())
	b.WriteString("\nstream\n")
	b.Write(data)
	b.WriteString("\nendstream")
	inc.Put(r, b.Bytes())
}

// modify returns the working copy of an existing object, cloned on first use; it is written
// when the increment is.
func (inc *Increment) modify(ref types.IndirectRef) (types.Object, error) {
	n := ref.ObjectNumber.Value()
	if o, ok := inc.working[n]; ok {
		return o, nil
	}
	o, err := inc.d.deref(ref)
	if err != nil {
		return nil, damaged("object %d: %v", n, err)
	}
	if o == nil {
		return nil, damaged("object %d is missing", n)
	}
	c := o.Clone()
	inc.working[n] = c
	inc.gens[n] = ref.GenerationNumber.Value()
	return c, nil
}

func (inc *Increment) modifyDict(ref types.IndirectRef) (types.Dict, error) {
	o, err := inc.modify(ref)
	if err != nil {
		return nil, err
	}
	d, ok := o.(types.Dict)
	if !ok {
		return nil, damaged("object %d is not a dictionary", ref.ObjectNumber.Value())
	}
	return d, nil
}

// Written is an increment as bytes, ready to append.
type Written struct {
	Bytes []byte
	// Offsets are the file offsets of each object written.
	Offsets map[int]int64
}

// Bytes serializes the increment for appending at the end of the original document: the
// objects, then a cross-reference section of the document's flavour chained to the previous one.
func (inc *Increment) Bytes() (*Written, error) {
	for n, o := range inc.working {
		if _, ok := o.(types.StreamDict); ok {
			return nil, fmt.Errorf("changing stream object %d is not supported", n)
		}
		inc.bodies[n] = []byte(o.PDFString())
	}
	nums := make([]int, 0, len(inc.bodies))
	size := 1024 // the cross-reference section and the trailer, for a few objects
	for n, body := range inc.bodies {
		nums = append(nums, n)
		size += len(body) + 64
	}
	sort.Ints(nums)
	var b bytes.Buffer
	b.Grow(size)
	ow := NewObjectWriter(&b, inc.d.size)
	ow.Write([]byte("\n")) // the original may end without an end-of-line after %%EOF
	for _, n := range nums {
		ow.Object(n, inc.gens[n], inc.bodies[n])
	}
	trailer, err := inc.trailer()
	if err != nil {
		return nil, err
	}
	if inc.d.xrefStream {
		err = ow.XRefStream(inc.next, trailer) // the xref stream is an object of its own section
	} else {
		err = ow.XRefTable(trailer, inc.next, false)
	}
	if err != nil {
		return nil, err
	}
	return &Written{Bytes: b.Bytes(), Offsets: ow.Offsets()}, nil
}

func (inc *Increment) trailer() (types.Dict, error) {
	x := inc.d.xref()
	t := types.Dict{"Prev": types.Integer(inc.d.startxref)}
	if x.Root == nil {
		return nil, damaged("no catalog")
	}
	t["Root"] = *x.Root
	if x.Info != nil {
		t["Info"] = *x.Info
	}
	if len(x.ID) == 2 {
		t["ID"] = x.ID
	}
	return t, nil
}

// WriteTo appends the increment to w (positioned at the end of the original).
func (w *Written) WriteTo(out io.Writer) (int64, error) {
	n, err := out.Write(w.Bytes)
	return int64(n), err
}

// TextString encodes s as a PDF text string: PDFDocEncoding-compatible ASCII as a literal,
// anything else as UTF-16BE with a byte order mark.
func TextString(s string) types.Object {
	ascii := true
	for _, r := range s {
		if r > 0x7e || r < 0x20 {
			ascii = false
			break
		}
	}
	if ascii {
		return types.StringLiteral(escapeLiteral(s))
	}
	u := utf16.Encode([]rune(s))
	var b bytes.Buffer
	b.WriteString("FEFF")
	for _, c := range u {
		b.WriteString(fmt.Sprintf("%04X", c))
	}
	return types.HexLiteral(b.String())
}

func escapeLiteral(s string) string {
	var b bytes.Buffer
	for _, c := range []byte(s) {
		switch c {
		case '(', ')', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ReplacePageContent points page n at a new content stream. vbdt never does this to a signed
// document; tests use it to make the changes a verifier must catch.
func (inc *Increment) ReplacePageContent(n int, content []byte) error {
	pd, _, err := inc.modifyPage(n)
	if err != nil {
		return err
	}
	pd["Contents"] = inc.AddStream(types.Dict{}, content).ref()
	return nil
}

// AddFreeText adds a FreeText annotation to page n. vbdt never does this to a signed document;
// tests use it to make an annotation change, which DocMDP P=2 forbids and P=3 permits.
func (inc *Increment) AddFreeText(n int, r Rect, text string) error {
	pd, ref, err := inc.modifyPage(n)
	if err != nil {
		return err
	}
	annot := inc.Add(types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("FreeText"), "Rect": rectArray(r),
		"Contents": TextString(text), "DA": types.StringLiteral("/Helv 12 Tf 0 g"), "P": ref})
	return inc.appendTo(pd, "Annots", annot.ref())
}

// modifyPage returns page n's dictionary, to be changed in this increment, and its reference.
func (inc *Increment) modifyPage(n int) (types.Dict, types.IndirectRef, error) {
	_, ref, _, err := inc.d.page(n)
	if err != nil {
		return nil, ref, err
	}
	pd, err := inc.modifyDict(ref)
	return pd, ref, err
}
