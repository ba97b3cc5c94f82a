package ccitt

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
)

// Decoding errors. Any malformed stream yields one of these (or
// io.ErrUnexpectedEOF, or the underlying reader's error); the Decoder never
// panics on bad input and its errors are sticky.
var (
	// ErrHeight is returned by Decode for a negative height.
	ErrHeight = errors.New("ccitt: height out of range")
	// ErrInvalidCode is returned for a bit pattern that is not a valid mode
	// or run-length code (including an EOL inside a row).
	ErrInvalidCode = errors.New("ccitt: invalid code")
	// ErrUnsupportedMode is returned for the T.6 extension mode (0000001xxx),
	// which x/image/ccitt and libtiff do not support either.
	ErrUnsupportedMode = errors.New("ccitt: unsupported extension mode")
	// ErrInvalidPosition is returned when a code would move the coding
	// position backwards or past the end of the row.
	ErrInvalidPosition = errors.New("ccitt: changing element out of range")
	// ErrMissingEOFB is returned when an EOL is not followed by a second EOL.
	ErrMissingEOFB = errors.New("ccitt: EOL not followed by EOFB")
)

// readBufSize is the size of the Decoder's input buffer when it reads from
// an io.Reader.
const readBufSize = 16 << 10

// Decoder reads a Group 4 (T.6) stream of rows of width pixels. Rows come out
// packed 1 bit per pixel, MSB first, 1 = black (the same convention as the
// Encoder), each (width+7)/8 bytes, with the padding bits after the last
// pixel cleared.
//
// The semantics are those of golang.org/x/image/ccitt's Group 4 reader with
// Options{Invert: true, Align: false} and MSB bit order (TIFF Compression 4
// strips), with one intentional difference: an EOFB (two EOL codes) before
// the expected number of rows ends the image (ReadRow returns io.EOF), where
// x/image/ccitt reports an error.
//
// After the last expected row, the next ReadRow checks the trailer the way
// x/image/ccitt does: a complete EOFB, or anything that does not start with
// an EOL (a missing or truncated EOFB, as some writers produce), is accepted
// and yields io.EOF; an EOL followed by something other than a second EOL is
// an error.
//
// Internally a row is decoded into its list of changing elements, found
// with table lookups on a 64-bit bit buffer, and the packed row is then
// filled with byte and word stores.
type Decoder struct {
	r    io.Reader // nil when decoding a byte slice
	buf  []byte    // buf[pos:] is input not yet loaded into bits
	pos  int
	eof  bool  // r has no more data
	rerr error // read error from r other than io.EOF

	// The high nbits bits of bits are the next bits of the stream. The bits
	// below them are zero or the stream bits that follow.
	bits  uint64
	nbits uint

	width, stride int
	height        int // rows expected; negative: unknown, until EOFB
	rows          int

	// ref and cur are the changing elements of the reference (previous) and
	// coding rows, as in the Encoder: strictly increasing positions < width,
	// even indices white-to-black, each list followed by three copies of
	// width.
	ref, cur []int32

	err error // sticky
}

// NewDecoder returns a Decoder reading a Group 4 stream of rows width pixels
// wide from r. height is the number of rows expected (for a TIFF strip, its
// RowsPerStrip, or the remaining ImageLength for the last strip); decoding
// stops at EOFB or after height rows. A negative height means unknown:
// decoding stops at EOFB only. If width is out of range (1..MaxWidth),
// ReadRow returns ErrWidth.
func NewDecoder(r io.Reader, width, height int) *Decoder {
	d := &Decoder{r: r}
	if d.init(width, height) {
		d.buf = make([]byte, 0, readBufSize)
	}
	return d
}

func (d *Decoder) init(width, height int) bool {
	d.width, d.height = width, height
	if width < 1 || width > MaxWidth {
		d.err = ErrWidth
		return false
	}
	d.stride = (width + 7) / 8
	// A row has at most width+1 distinct changing elements in 0..width
	// (the one at width is dropped at the end of the row), plus sentinels.
	d.ref = make([]int32, width+4)
	d.cur = make([]int32, width+4)
	w := int32(width)
	d.ref[0], d.ref[1], d.ref[2] = w, w, w // imaginary all-white line
	return true
}

// Rows returns the number of rows decoded so far.
func (d *Decoder) Rows() int { return d.rows }

// ReadRow decodes the next row into row, which must hold exactly
// (width+7)/8 bytes. It returns io.EOF after the last row (after height
// rows, or at EOFB), and otherwise a non-nil error if the stream is
// malformed. Errors are sticky.
func (d *Decoder) ReadRow(row []byte) error {
	if d.err != nil {
		return d.err
	}
	if len(row) != d.stride {
		return ErrRowLength
	}
	if d.end() {
		return d.err
	}
	n, err := d.decodeRow()
	if err != nil {
		d.err = err
		return err
	}
	fillRow(row, d.cur[:n+1])
	d.cur, d.ref = d.ref, d.cur
	d.rows++
	return nil
}

// end reports whether the image ends before the next row, setting d.err to
// io.EOF or to an error.
func (d *Decoder) end() bool {
	if d.nbits < 32 {
		d.refill()
	}
	if d.height >= 0 && d.rows >= d.height {
		d.err = d.trailer()
		return true
	}
	if !d.atEOL() {
		return false
	}
	// No row starts with seven 0 bits: this is EOFB or an error.
	d.consume(12)
	if d.nbits < 32 {
		d.refill()
	}
	if d.atEOL() {
		d.consume(12)
		d.err = io.EOF
	} else {
		d.err = d.missing(ErrMissingEOFB)
	}
	return true
}

// trailer checks what follows the last expected row (see Decoder).
func (d *Decoder) trailer() error {
	if !d.atEOL() {
		return io.EOF
	}
	d.consume(12)
	if d.nbits < 32 {
		d.refill()
	}
	if !d.atEOL() {
		return d.missing(ErrMissingEOFB)
	}
	d.consume(12)
	return io.EOF
}

func (d *Decoder) atEOL() bool { return d.nbits >= 12 && d.bits>>52 == 1 }

func (d *Decoder) consume(n uint) {
	d.bits <<= n
	d.nbits -= n
}

// missing returns err, or the read error if the input ended because of one.
func (d *Decoder) missing(err error) error {
	if d.rerr != nil {
		return d.rerr
	}
	return err
}

// eofError is the error for a code that runs past the end of the input.
func (d *Decoder) eofError() error {
	if d.rerr != nil {
		return d.rerr
	}
	return io.ErrUnexpectedEOF
}

// Decode decodes a complete Group 4 stream of height rows of width pixels
// and returns the packed rows (stride (width+7)/8, MSB first, 1 = black,
// padding bits cleared). If the stream ends with EOFB before height rows,
// the rows decoded so far are returned without error; len(result)/stride is
// the number of rows. Allocation is bounded by both height and the input
// size (every row takes at least one bit).
func Decode(data []byte, width, height int) ([]byte, error) {
	d, out, err := sliceDecoder(data, width, height)
	if err != nil {
		return nil, err
	}
	for {
		k := len(out)
		if d.rows == height && d.end() {
			if d.err == io.EOF {
				return out, nil
			}
			return nil, d.err
		}
		if cap(out)-k >= d.stride {
			out = out[:k+d.stride]
		} else {
			out = append(out, make([]byte, d.stride)...)
		}
		if err := d.ReadRow(out[k:]); err != nil {
			if err == io.EOF {
				return out[:k], nil
			}
			return nil, err
		}
	}
}

// sliceDecoder is a Decoder of a byte slice, with room for the rows it can decode: bounded
// by both height and the input size (every row takes at least one bit).
func sliceDecoder(data []byte, width, height int) (*Decoder, []byte, error) {
	if height < 0 {
		return nil, nil, ErrHeight
	}
	d := &Decoder{buf: data, eof: true}
	if !d.init(width, height) {
		return nil, nil, d.err
	}
	rows := min(height, 8*len(data))
	if rows < 0 || rows > math.MaxInt/d.stride {
		rows = 0 // cannot be reached on 64-bit platforms; let append grow
	}
	return d, make([]byte, 0, rows*d.stride), nil
}

// refill loads input bytes into d.bits until it holds more than 56 bits or
// the input is exhausted.
func (d *Decoder) refill() {
	for d.nbits <= 56 {
		if d.pos+8 <= len(d.buf) {
			v := binary.BigEndian.Uint64(d.buf[d.pos:])
			d.bits |= v >> d.nbits
			k := (63 - d.nbits) >> 3
			d.pos += int(k)
			d.nbits += k << 3
			return
		}
		if d.pos < len(d.buf) {
			d.bits |= uint64(d.buf[d.pos]) << (56 - d.nbits)
			d.pos++
			d.nbits += 8
			continue
		}
		if !d.fill() {
			return
		}
	}
}

// fill reads more input from d.r into d.buf, keeping the unread bytes. It
// reports whether there is unread input.
func (d *Decoder) fill() bool {
	if d.r == nil || d.eof {
		return d.pos < len(d.buf)
	}
	m := copy(d.buf[:cap(d.buf)], d.buf[d.pos:])
	d.buf, d.pos = d.buf[:m], 0
	for empty := 0; len(d.buf) < 8; {
		k, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+k]
		if err != nil {
			d.eof = true
			if err != io.EOF {
				d.rerr = err
			}
			break
		}
		if k == 0 {
			if empty++; empty >= 100 {
				d.eof, d.rerr = true, io.ErrNoProgress
				break
			}
		}
	}
	return d.pos < len(d.buf)
}

// decodeRow decodes one row into d.cur and returns the number of changing
// elements; d.cur[n:n+3] are set to width.
func (d *Decoder) decodeRow() (int, error) {
	ref, cur := d.ref, d.cur
	width := int32(d.width)
	bits, nbits := d.bits, d.nbits

	n := 0          // len of cur; even <=> colour at a0 is white
	a0 := int32(-1) // imaginary white pixel before the row
	bi := 0         // index of b1 in ref
	var err error
	for a0 < width {
		if nbits < 32 {
			d.bits, d.nbits = bits, nbits
			d.refill()
			bits, nbits = d.bits, d.nbits
		}
		m := modeTable[bits>>(64-modeBits)]
		l := uint(m >> 4)
		if l == 0 || l > nbits {
			err = ErrInvalidCode
			if l > nbits || nbits < modeBits {
				err = d.eofError()
			}
			break
		}
		bits <<= l
		nbits -= l
		mode := m & 15

		if mode <= modePass {
			// b1: first changing element on the reference line to the right
			// of a0 and of opposite colour to a0 (the parity of n). As in
			// the Encoder, b1 may step back by one after a vertical mode.
			for bi > 0 && ref[bi-1] > a0 {
				bi--
			}
			for ref[bi] <= a0 {
				bi++
			}
			bi += (bi ^ n) & 1
			if mode == modePass {
				a0 = ref[bi+1] // b2
				continue
			}
			a1 := ref[bi] + 3 - int32(mode)
			// a1 < 0 or a1 > width in one unsigned comparison.
			if uint32(a1) > uint32(width) || a1 < a0 {
				err = ErrInvalidPosition
				break
			}
			if n > 0 && cur[n-1] == a1 {
				n-- // empty run: no colour change at a1
			} else {
				cur[n] = a1
				n++
			}
			a0 = a1
			continue
		}
		if mode != modeHoriz {
			err = ErrUnsupportedMode
			break
		}

		// Horizontal mode: two runs, starting with a0's colour.
		start := max(a0, 0)
		pos := start
		white := n&1 == 0
		for i := 0; i < 2; i, white = i+1, !white {
			for {
				if nbits < 16 {
					d.bits, d.nbits = bits, nbits
					d.refill()
					bits, nbits = d.bits, d.nbits
				}
				var e uint16
				if white {
					e = whiteTable[bits>>(64-whiteBits)]
				} else {
					e = blackTable[bits>>(64-blackBits)]
				}
				l := uint(e >> 12)
				if l == 0 || l > nbits {
					err = ErrInvalidCode
					if l > nbits || nbits < blackBits {
						err = d.eofError()
					}
					break
				}
				bits <<= l
				nbits -= l
				run := int32(e & 0xFFF)
				pos += run
				if pos > width {
					err = ErrInvalidPosition
					break
				}
				if run < 64 {
					break
				}
			}
			if err != nil {
				break
			}
			if n > 0 && cur[n-1] == pos {
				n--
			} else {
				cur[n] = pos
				n++
			}
		}
		if err != nil {
			break
		}
		a0 = pos
	}
	d.bits, d.nbits = bits, nbits
	if err != nil {
		return 0, err
	}
	if n > 0 && cur[n-1] >= width {
		n--
	}
	cur[n], cur[n+1], cur[n+2] = width, width, width
	return n, nil
}

// fillRow writes the packed row whose changing elements are ce[:len(ce)-1];
// ce[len(ce)-1] is the width sentinel.
func fillRow(row []byte, ce []int32) {
	clear(row)
	for k := 0; k+1 < len(ce); k += 2 {
		setRun(row, int(ce[k]), int(ce[k+1]))
	}
}

// setRun sets bits s..e-1 of row (s < e).
func setRun(row []byte, s, e int) {
	i, j := s>>3, (e-1)>>3
	first := byte(0xFF) >> uint(s&7)
	last := byte(0xFF) << uint(7-(e-1)&7)
	if i == j {
		row[i] |= first & last
		return
	}
	row[i] |= first
	k := i + 1
	for ; k+8 <= j; k += 8 {
		binary.LittleEndian.PutUint64(row[k:], ^uint64(0))
	}
	for ; k < j; k++ {
		row[k] = 0xFF
	}
	row[j] |= last
}
