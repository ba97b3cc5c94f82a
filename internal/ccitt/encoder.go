// Package ccitt implements a streaming CCITT Group 4 encoder (ITU-T T.6,
// "MMR", two-dimensional coding with no EOLs and an EOFB terminator) for
// bilevel images.
//
// The standard library and golang.org/x/image/ccitt only decode CCITT data;
// this package produces it, so that bilevel pages (for example multi-strip
// Group 4 TIFF pages, or any 1-bit scan) can be re-encoded into a single
// Group 4 stream and embedded in a PDF with the CCITTFaxDecode filter.
//
// It also has a fast Group 4 decoder (Decoder, Decode) for reading such
// strips, several times faster than golang.org/x/image/ccitt's and with the
// same semantics (see Decoder), using the same row format and polarity.
//
// # Input format and polarity
//
// Rows are packed 1 bit per pixel, most significant bit first, each row
// occupying exactly (width+7)/8 bytes; padding bits after the last pixel of
// a row are ignored. A SET BIT (1) IS A BLACK PIXEL, a clear bit (0) is
// white. This is the fax/TIFF "WhiteIsZero" convention (TIFF
// PhotometricInterpretation 0), which is also what libtiff's Group 4 codec
// and golang.org/x/image/ccitt with Options.Invert = true use. Callers
// holding PDF DeviceGray-style data (0 = black) must invert the bytes first.
//
// The encoded stream itself does not carry a polarity: it codes runs of
// "white" and "black" pixels. The PDF /BlackIs1 parameter only chooses the
// bit value the DECODER emits for black pixels. To embed the output of this
// package as an image XObject:
//
//	/Type /XObject /Subtype /Image /Width W /Height H
//	/ColorSpace /DeviceGray /BitsPerComponent 1
//	/Filter /CCITTFaxDecode
//	/DecodeParms << /K -1 /Columns W /Rows H >>
//
// i.e. leave /BlackIs1 at its default (false): the decoder then emits 0 for
// black, which DeviceGray paints black, so pixels that were 1 (black) in the
// input render black. Setting /BlackIs1 true with /DeviceGray would render
// the page as a negative unless /Decode [1 0] is added as well. The same
// stream works as an /ImageMask true stencil (0 = painted with the default
// /Decode [0 1]), which paints exactly the black input pixels.
//
// # Conformance
//
// The mode decisions follow T.4 §4.2.1.3 / T.6 §2.2 exactly as libtiff's
// Group 4 encoder makes them (pass mode when b2 < a1, vertical mode when
// |a1-b1| <= 3, horizontal mode otherwise; runs of 2624 pixels or more are
// split with repeated 2560 make-up codes), so for the same image the output
// is byte-for-byte identical to libtiff's (tiffcp -c g4).
package ccitt

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
)

// MaxWidth is the largest supported image width in pixels. It matches the
// limit of golang.org/x/image/ccitt's decoder.
const MaxWidth = 1 << 20

// flushSize is the number of buffered output bytes after which WriteRow
// passes the buffer to the underlying io.Writer.
const flushSize = 32 << 10

var (
	// ErrClosed is returned by WriteRow and Close after Close.
	ErrClosed = errors.New("ccitt: encoder is closed")
	// ErrWidth is returned when the image width is out of range.
	ErrWidth = errors.New("ccitt: width out of range")
	// ErrRowLength is returned by WriteRow when len(row) != (width+7)/8.
	ErrRowLength = errors.New("ccitt: row length does not match width")
)

// Encoder writes one Group 4 (T.6) image, one row at a time.
//
// It keeps only the changing elements of the current and previous (reference)
// row, so memory use is O(width) and independent of the image height. It
// buffers output: call Close to terminate the stream with EOFB and flush it.
// Close does not close the underlying writer.
type Encoder struct {
	w      io.Writer
	width  int
	stride int

	// ref and cur hold the changing-element positions of the reference and
	// coding lines: ascending pixel indices where the colour differs from the
	// pixel on its left (pixel -1 being white). Even indices are white-to-black
	// transitions (black changing elements), odd indices black-to-white. Each
	// list is followed by three copies of width as sentinels.
	ref, cur []int32

	bw     bitWriter
	rows   int
	err    error // sticky write error
	closed bool
}

// NewEncoder returns an Encoder writing a Group 4 stream for an image that is
// width pixels wide to w. If width is out of range (1..MaxWidth) every method
// returns ErrWidth.
func NewEncoder(w io.Writer, width int) *Encoder {
	e := &Encoder{w: w, width: width}
	if width < 1 || width > MaxWidth {
		e.err = ErrWidth
		return e
	}
	e.stride = (width + 7) / 8
	// Changing elements are detected on whole bytes, so a row can briefly hold
	// up to 8*stride entries before those beyond width are dropped.
	n := 8*e.stride + 3
	e.ref = make([]int32, n)
	e.cur = make([]int32, n)
	w32 := int32(width)
	e.ref[0], e.ref[1], e.ref[2] = w32, w32, w32 // imaginary all-white line
	e.bw.buf = make([]byte, 0, flushSize+64)
	return e
}

// Rows returns the number of rows written so far. A PDF writer needs it for
// /Rows and /Height when the height is not known in advance.
func (e *Encoder) Rows() int { return e.rows }

// WriteRow encodes the next row. row must hold exactly (width+7)/8 bytes,
// 1 bit per pixel, MSB first, 1 = black; bits after the width-th are ignored.
// The row is not retained.
func (e *Encoder) WriteRow(row []byte) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return ErrClosed
	}
	if len(row) != e.stride {
		return ErrRowLength
	}
	n := changingElements(row, e.width, e.cur)
	w32 := int32(e.width)
	e.cur[n], e.cur[n+1], e.cur[n+2] = w32, w32, w32
	e.encodeRow()
	e.cur, e.ref = e.ref, e.cur
	e.rows++
	if len(e.bw.buf) >= flushSize {
		return e.flush()
	}
	return nil
}

// Close terminates the image with EOFB (two EOL codes,
// 000000000001 000000000001), pads the last byte with zero bits and writes
// all buffered data. It does not close the underlying writer. Calling Close
// again returns ErrClosed.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return ErrClosed
	}
	e.closed = true
	eol := code{0x001, 12}
	e.bw.put(eol)
	e.bw.put(eol)
	e.bw.pad()
	return e.flush()
}

func (e *Encoder) flush() error {
	if len(e.bw.buf) == 0 {
		return nil
	}
	_, err := e.w.Write(e.bw.buf)
	e.bw.buf = e.bw.buf[:0]
	if err != nil {
		e.err = err
	}
	return err
}

// Encode writes height rows of packed pixels (stride (width+7)/8 bytes,
// MSB first, 1 = black) to w as one complete Group 4 stream, including EOFB.
// len(rows) must be exactly height*((width+7)/8).
func Encode(w io.Writer, rows []byte, width, height int) error {
	e := NewEncoder(w, width)
	if e.err != nil {
		return e.err
	}
	if height < 0 || len(rows) != height*e.stride {
		return ErrRowLength
	}
	for y := 0; y < height; y++ {
		if err := e.WriteRow(rows[y*e.stride : (y+1)*e.stride]); err != nil {
			return err
		}
	}
	return e.Close()
}

// changingElements stores in out the positions (< width) at which the colour
// of row differs from the pixel on the left (pixel -1 being white) and
// returns their count. It scans 64 pixels at a time: for a big-endian word w
// whose previous pixel is p, the set bits of w ^ (w>>1 | p<<63) mark the
// changes. len(out) must be at least 8*len(row).
func changingElements(row []byte, width int, out []int32) int {
	n := 0
	var prev uint64 // last pixel of the previous word
	base := int32(0)
	i := 0
	for ; i+8 <= len(row); i += 8 {
		w := binary.BigEndian.Uint64(row[i:])
		d := w ^ (w>>1 | prev<<63)
		prev = w & 1
		for d != 0 {
			lz := bits.LeadingZeros64(d)
			out[n] = base + int32(lz)
			n++
			d &^= (1 << 63) >> uint(lz)
		}
		base += 64
	}
	if i < len(row) {
		var w uint64
		for j, b := range row[i:] {
			w |= uint64(b) << (56 - 8*uint(j))
		}
		d := w ^ (w>>1 | prev<<63)
		for d != 0 {
			lz := bits.LeadingZeros64(d)
			out[n] = base + int32(lz)
			n++
			d &^= (1 << 63) >> uint(lz)
		}
	}
	// Drop changes caused by the padding bits after the last pixel.
	for n > 0 && out[n-1] >= int32(width) {
		n--
	}
	return n
}

// encodeRow codes e.cur against e.ref (T.6 §2.2, T.4 §4.2.1.3).
func (e *Encoder) encodeRow() {
	cur, ref := e.cur, e.ref
	width := int32(e.width)
	// The bit writer state lives in locals so that it stays in registers.
	acc, nb, buf := e.bw.acc, e.bw.n, e.bw.buf

	a0 := int32(-1) // imaginary white pixel before the row
	ai := 0         // index of a1 in cur; even <=> a0 is white
	bi := 0         // index of b1 in ref
	for {
		a1 := cur[ai]
		// b1: first changing element on the reference line to the right of
		// a0 and of opposite colour to a0, i.e. of the same colour (index
		// parity) as a1. a0 only moves right, but after a vertical mode the
		// colour flips, so b1 may be one element to the left of the previous
		// b1: step back, then forward.
		for bi > 0 && ref[bi-1] > a0 {
			bi--
		}
		for ref[bi] <= a0 {
			bi++
		}
		bi += (bi ^ ai) & 1
		b1 := ref[bi]
		b2 := ref[bi+1]

		if b2 < a1 {
			// Pass mode: a0 moves under b2, colour unchanged.
			acc, nb, buf = put(acc, nb, buf, codePass)
			a0 = b2
		} else if d := b1 - a1; d >= -3 && d <= 3 {
			acc, nb, buf = put(acc, nb, buf, vcodes[d+3])
			a0 = a1
			ai++
		} else {
			a2 := cur[ai+1]
			start := max(a0, 0)
			acc, nb, buf = put(acc, nb, buf, codeHoriz)
			if ai&1 == 0 { // a0 is white
				acc, nb, buf = putRun(acc, nb, buf, a1-start, &whiteTerm, &whiteMakeup)
				acc, nb, buf = putRun(acc, nb, buf, a2-a1, &blackTerm, &blackMakeup)
			} else {
				acc, nb, buf = putRun(acc, nb, buf, a1-start, &blackTerm, &blackMakeup)
				acc, nb, buf = putRun(acc, nb, buf, a2-a1, &whiteTerm, &whiteMakeup)
			}
			a0 = a2
			ai += 2
		}
		if a0 >= width {
			break
		}
	}
	e.bw.acc, e.bw.n, e.bw.buf = acc, nb, buf
}

// put appends code c (at most 32 bits) to the bit accumulator acc, whose low
// nb bits are pending, moving a completed 32-bit word to buf. It is written
// as a pure function so that the caller can keep the state in registers.
func put(acc uint64, nb uint32, buf []byte, c code) (uint64, uint32, []byte) {
	acc = acc<<c.n | uint64(c.c)
	nb += c.n
	if nb >= 32 {
		nb -= 32
		buf = binary.BigEndian.AppendUint32(buf, uint32(acc>>nb))
	}
	return acc, nb, buf
}

// putRun appends the make-up and terminating codes for a run of run pixels.
// Like libtiff, runs of 2624 or more start with repeated 2560 make-up codes
// (T.4 §4.1.1: runs > 2623 use the 2560 extended make-up code), then one
// make-up code for the remaining multiple of 64 if any, then a terminating
// code.
func putRun(acc uint64, nb uint32, buf []byte, run int32, term *[64]code, makeup *[41]code) (uint64, uint32, []byte) {
	for run >= 2624 {
		acc, nb, buf = put(acc, nb, buf, makeup[40])
		run -= 2560
	}
	if run >= 64 {
		acc, nb, buf = put(acc, nb, buf, makeup[run>>6])
		run &= 63
	}
	return put(acc, nb, buf, term[run])
}

// bitWriter accumulates codes MSB first and appends whole 32-bit words to buf.
type bitWriter struct {
	acc uint64 // the low n bits are pending output
	n   uint32
	buf []byte
}

// put appends c to b.
func (b *bitWriter) put(c code) { b.acc, b.n, b.buf = put(b.acc, b.n, b.buf, c) }

// pad appends zero bits up to a byte boundary and moves all pending bytes to
// buf.
func (b *bitWriter) pad() {
	b.put(code{0, (8 - b.n%8) % 8})
	for b.n >= 8 {
		b.n -= 8
		b.buf = append(b.buf, byte(b.acc>>b.n))
	}
}
