package pdf

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Writer writes a new PDF document as it goes: each object is written when it is given, and
// what stays in memory is an offset per object. Objects a later one must name (the page tree
// the pages point at) are reserved first and put when known.
type Writer struct {
	ow   *ObjectWriter
	next int
}

// NewWriter starts a document of the given version ("1.4", "1.7") on w: the header and a
// binary comment line (so that transfers treat the file as binary, as PDF/A requires).
func NewWriter(w io.Writer, version string) *Writer {
	ow := NewObjectWriter(w, 0)
	ow.Write([]byte("%PDF-" + version + "\n%\xE2\xE3\xCF\xD3\n"))
	return &Writer{ow: ow, next: 1}
}

// Reserve returns the number of a new object, to be written with Put or PutStream.
func (w *Writer) Reserve() Ref {
	r := Ref{Num: w.next}
	w.next++
	return r
}

// Put writes object r.
func (w *Writer) Put(r Ref, o types.Object) {
	w.ow.Object(r.Num, 0, []byte(o.PDFString()))
}

// Add writes a new object and returns its reference.
func (w *Writer) Add(o types.Object) Ref {
	r := w.Reserve()
	w.Put(r, o)
	return r
}

// PutStream writes stream object r: dictionary d (its /Length set) and length bytes of data.
func (w *Writer) PutStream(r Ref, d types.Dict, length int64, data io.Reader) error {
	return w.ow.Stream(r.Num, d, length, data)
}

// AddStream writes a new stream object of data and returns its reference.
func (w *Writer) AddStream(d types.Dict, data []byte) (Ref, error) {
	r := w.Reserve()
	return r, w.PutStream(r, d, int64(len(data)), bytes.NewReader(data))
}

// Close writes the cross-reference table and the trailer: the catalog root, the information
// dictionary info (nil for none) and the file identifier id.
func (w *Writer) Close(root Ref, info *Ref, id [2][]byte) error {
	trailer := types.Dict{"Root": root.ref()}
	if info != nil {
		trailer["Info"] = info.ref()
	}
	trailer["ID"] = types.Array{types.HexLiteral(hexOf(id[0])), types.HexLiteral(hexOf(id[1]))}
	return w.ow.XRefTable(trailer, w.next, true)
}

// Offset is the size of what is written so far.
func (w *Writer) Offset() int64 { return w.ow.Offset() }

// Date is t as a PDF date with its offset: D:20260305084515+07'00'.
func Date(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}

func hexOf(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
