package pdf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// ObjectWriter serializes numbered objects and the cross-reference section that indexes them:
// the one writer behind incremental updates (Increment) and new documents (Writer). It streams:
// what it keeps is an offset per object written.
type ObjectWriter struct {
	w    *bufio.Writer
	off  int64         // file offset of the next byte
	offs map[int]int64 // file offset of each object written
	gens map[int]int   // generation of each object written, when not 0
	nums []int         // objects written, in order
	err  error
}

// NewObjectWriter writes to w, whose first byte stands at file offset base.
func NewObjectWriter(w io.Writer, base int64) *ObjectWriter {
	return &ObjectWriter{w: bufio.NewWriterSize(w, 64<<10), off: base, offs: map[int]int64{}, gens: map[int]int{}}
}

// Write writes raw bytes (a header, a comment).
func (o *ObjectWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	o.off += int64(n)
	o.err = err
	return n, err
}

func (o *ObjectWriter) printf(format string, a ...any) { fmt.Fprintf(o, format, a...) }

// Offset is the file offset of the next byte written.
func (o *ObjectWriter) Offset() int64 { return o.off }

// begin starts object n.
func (o *ObjectWriter) begin(n, gen int) {
	o.offs[n] = o.off
	if gen != 0 {
		o.gens[n] = gen
	}
	o.nums = append(o.nums, n)
	o.printf("%d %d obj\n", n, gen)
}

// Object writes object n with its raw body (what stands between "obj" and "endobj").
func (o *ObjectWriter) Object(n, gen int, body []byte) {
	o.begin(n, gen)
	o.Write(body)
	o.Write([]byte("\nendobj\n"))
}

// Stream writes stream object n: its dictionary (Length set to length) and length bytes of r.
func (o *ObjectWriter) Stream(n int, d types.Dict, length int64, r io.Reader) error {
	d = d.Clone().(types.Dict)
	d.Update("Length", types.Integer(length))
	o.begin(n, 0)
	o.printf("%s\nstream\n", d.PDFString())
	if o.err == nil {
		var k int64
		k, o.err = io.CopyN(o.w, r, length)
		o.off += k
	}
	o.Write([]byte("\nendstream\nendobj\n"))
	return o.err
}

// XRefTable writes a classic cross-reference section of the objects written, with the free
// head of the list (object 0) when free0, then the trailer and the end of the file. size is
// the trailer's /Size.
func (o *ObjectWriter) XRefTable(trailer types.Dict, size int, free0 bool) error {
	xrefAt := o.off
	nums := o.sorted()
	o.Write([]byte("xref\n"))
	if free0 {
		o.Write([]byte("0 1\n0000000000 65535 f\r\n"))
	}
	for _, s := range sections(nums) {
		o.printf("%d %d\n", s[0], len(s))
		for _, n := range s {
			o.printf("%010d %05d n\r\n", o.offs[n], o.gens[n])
		}
	}
	trailer = trailer.Clone().(types.Dict)
	trailer.Update("Size", types.Integer(size))
	o.printf("trailer\n%s\n", trailer.PDFString())
	return o.end(xrefAt)
}

// XRefStream writes a cross-reference stream, object n, indexing the objects written and
// itself, with the trailer's entries, then the end of the file.
func (o *ObjectWriter) XRefStream(n int, trailer types.Dict) error {
	xrefAt := o.off
	o.offs[n] = xrefAt
	nums := append(o.sorted(), n)
	sort.Ints(nums)
	data := make([]byte, 0, 7*len(nums))
	for _, k := range nums {
		data = append(data, 1)
		data = binary.BigEndian.AppendUint32(data, uint32(o.offs[k]))
		data = binary.BigEndian.AppendUint16(data, uint16(o.gens[k]))
	}
	var index types.Array
	for _, s := range sections(nums) {
		index = append(index, types.Integer(s[0]), types.Integer(len(s)))
	}
	trailer = trailer.Clone().(types.Dict)
	trailer.Update("Type", types.Name("XRef"))
	trailer.Update("Size", types.Integer(n+1))
	trailer.Update("W", types.Array{types.Integer(1), types.Integer(4), types.Integer(2)})
	trailer.Update("Index", index)
	trailer.Update("Length", types.Integer(len(data)))
	o.printf("%d 0 obj\n%s\nstream\n", n, trailer.PDFString())
	o.Write(data)
	o.Write([]byte("\nendstream\nendobj\n"))
	return o.end(xrefAt)
}

func (o *ObjectWriter) end(xrefAt int64) error {
	o.printf("startxref\n%d\n%%%%EOF\n", xrefAt)
	if o.err == nil {
		o.err = o.w.Flush()
	}
	return o.err
}

// Offsets are the file offsets of the objects written.
func (o *ObjectWriter) Offsets() map[int]int64 { return o.offs }

func (o *ObjectWriter) sorted() []int {
	nums := append([]int(nil), o.nums...)
	sort.Ints(nums)
	return nums
}

// sections groups sorted object numbers into runs of consecutive numbers.
func sections(nums []int) [][]int {
	var out [][]int
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		out = append(out, nums[i:j+1])
		i = j + 1
	}
	return out
}
