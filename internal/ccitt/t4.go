package ccitt

import (
	"errors"
	"fmt"
	"math/bits"
)

// ErrNoEOL is returned by DecodeT4 for a Group 3 row that does not begin with an EOL.
var ErrNoEOL = errors.New("ccitt: Group 3 row without its EOL")

// T4 says how a Group 3 (T.4) stream is coded.
type T4 struct {
	// TwoD: rows are coded one- or two-dimensionally, as the bit after each EOL says (TIFF
	// T4Options bit 0).
	TwoD bool
	// RLE: rows of modified Huffman codes without EOLs, each beginning on a byte boundary
	// (TIFF Compression 2).
	RLE bool
}

// DecodeT4 decodes a Group 3 stream of height rows of width pixels, as Decode does a Group 4
// one: packed rows, 1 = black. Each row begins with an EOL, after any fill bits, except that
// the first may have none; RLE rows have none. A stream that ends before height rows returns
// the rows decoded so far.
func DecodeT4(data []byte, width, height int, t4 T4) ([]byte, error) {
	d, out, err := sliceDecoder(data, width, height)
	if err != nil {
		return nil, err
	}
	for row := 0; row < height; row++ {
		if d.nbits < 32 {
			d.refill()
		}
		if t4.RLE {
			d.consume(d.nbits % 8) // to the next byte boundary: whole bytes are loaded, so what is left of the current one is nbits mod 8
		} else {
			// fill bits (zeros), then EOL (000000000001)
			for d.nbits >= 12 && d.bits>>52 == 0 {
				d.consume(1)
				if d.nbits < 32 {
					d.refill()
				}
			}
			switch {
			case d.atEOL():
				d.consume(12)
				if d.nbits < 32 {
					d.refill()
				}
				if lz := uint(bits.LeadingZeros64(d.bits)); lz >= 11 && lz < d.nbits {
					return out, nil // EOL EOL (after fill bits): the return to control ends the page
				}
			case row > 0:
				if d.nbits < 12 { // the stream ends: the rows so far
					return out, nil
				}
				return nil, fmt.Errorf("row %d: %w", row+1, ErrNoEOL)
			}
		}
		if d.nbits < 32 {
			d.refill()
		}
		if d.nbits == 0 {
			return out, nil
		}
		oneD := true
		if t4.TwoD && !t4.RLE {
			oneD = d.bits>>63 == 1
			d.consume(1)
		}
		var n int
		if oneD {
			n, err = d.decode1D()
		} else {
			n, err = d.decodeRow()
		}
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", row+1, err)
		}
		k := len(out)
		out = append(out, make([]byte, d.stride)...)
		fillRow(out[k:], d.cur[:n+1])
		d.cur, d.ref = d.ref, d.cur
		d.rows++
	}
	return out, nil
}

// decode1D decodes a row of modified Huffman runs, white first, into d.cur and returns the
// number of changing elements; d.cur[n:n+3] are set to width.
func (d *Decoder) decode1D() (int, error) {
	cur, width := d.cur, int32(d.width)
	n, pos := 0, int32(0)
	for white := true; pos < width; white = !white {
		for {
			if d.nbits < 16 {
				d.refill()
			}
			var e uint16
			if white {
				e = whiteTable[d.bits>>(64-whiteBits)]
			} else {
				e = blackTable[d.bits>>(64-blackBits)]
			}
			l := uint(e >> 12)
			if l == 0 || l > d.nbits {
				if l > d.nbits || d.nbits < blackBits {
					return 0, d.eofError()
				}
				return 0, ErrInvalidCode
			}
			d.consume(l)
			run := int32(e & 0xFFF)
			if pos += run; pos > width {
				return 0, ErrInvalidPosition
			}
			if run < 64 {
				break
			}
		}
		if n > 0 && cur[n-1] == pos {
			n-- // an empty run: no change of colour
		} else {
			cur[n] = pos
			n++
		}
	}
	if n > 0 && cur[n-1] >= width {
		n--
	}
	cur[n], cur[n+1], cur[n+2] = width, width, width
	return n, nil
}
