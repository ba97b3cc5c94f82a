package scan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// tiffDir reads TIFF image file directories (IFDs) and tag values from r.
// It is used for TIFF files and for the TIFF structure inside an EXIF APP1
// segment. Every byte it reads is charged to budget, so that files whose
// IFDs or tag tables overlap or are shared cannot make it do unbounded work.
type tiffDir struct {
	r      io.ReaderAt
	size   int64
	bo     binary.ByteOrder
	budget int64
}

var errBudget = errors.New("its directories refer to the same data over and over (overlapping or shared tables)")

type ifdEntry struct {
	tag, typ uint16
	count    uint64
	raw      [4]byte // the value field: inline value or offset
}

// tiffTypeSize is the size in bytes of one value of each TIFF field type.
func tiffTypeSize(typ uint16) int64 {
	switch typ {
	case 1, 2, 6, 7: // BYTE, ASCII, SBYTE, UNDEFINED
		return 1
	case 3, 8: // SHORT, SSHORT
		return 2
	case 4, 9, 11, 13: // LONG, SLONG, FLOAT, IFD
		return 4
	case 5, 10, 12: // RATIONAL, SRATIONAL, DOUBLE
		return 8
	}
	return 0
}

func newTIFFDir(r io.ReaderAt, size int64) (*tiffDir, int64, error) {
	var h [8]byte
	if err := readAt(r, size, h[:], 0); err != nil {
		return nil, 0, errors.New("header is truncated")
	}
	t := &tiffDir{r: r, size: size, budget: 2*size + 1<<20}
	switch string(h[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return nil, 0, errors.New("bad byte-order mark")
	}
	switch t.bo.Uint16(h[2:]) {
	case 42:
	case 43:
		return nil, 0, errors.New("BigTIFF not supported")
	default:
		return nil, 0, errors.New("bad magic number")
	}
	return t, int64(t.bo.Uint32(h[4:])), nil
}

func (t *tiffDir) read(b []byte, off int64) error {
	t.budget -= int64(len(b))
	if t.budget < 0 {
		return errBudget
	}
	return readAt(t.r, t.size, b, off)
}

// readIFD reads the directory at off: its entries and the offset of the next.
func (t *tiffDir) readIFD(off int64) ([]ifdEntry, int64, error) {
	var nb [2]byte
	if err := t.read(nb[:], off); err != nil {
		return nil, 0, err
	}
	n := int64(t.bo.Uint16(nb[:]))
	if n == 0 {
		return nil, 0, errors.New("directory has no entries")
	}
	if n*12+6 > t.size-off {
		return nil, 0, errTruncated
	}
	b := make([]byte, n*12+4)
	if err := t.read(b, off+2); err != nil {
		return nil, 0, err
	}
	es := make([]ifdEntry, 0, n)
	for i := int64(0); i < n; i++ {
		e := b[i*12:]
		var x ifdEntry
		x.tag = t.bo.Uint16(e)
		x.typ = t.bo.Uint16(e[2:])
		x.count = uint64(t.bo.Uint32(e[4:]))
		copy(x.raw[:], e[8:12])
		if tiffTypeSize(x.typ) == 0 {
			continue // unknown field type: ignored, as the specification says
		}
		es = append(es, x)
	}
	return es, int64(t.bo.Uint32(b[n*12:])), nil
}

// data returns the bytes of the first want values of an entry; an entry with
// more than max values is an error.
func (t *tiffDir) data(e ifdEntry, max, want uint64) ([]byte, error) {
	ts := tiffTypeSize(e.typ)
	if e.count > max {
		return nil, fmt.Errorf("tag %d has %d values (at most %d expected)", e.tag, e.count, max)
	}
	if want > e.count {
		want = e.count
	}
	if e.count > uint64(t.size) {
		return nil, fmt.Errorf("tag %d has %d values, more than the file can hold", e.tag, e.count)
	}
	total := int64(e.count) * ts
	n := int64(want) * ts
	if total <= 4 {
		return e.raw[:n], nil
	}
	off := int64(t.bo.Uint32(e.raw[:]))
	if total > t.size-off {
		return nil, fmt.Errorf("the values of tag %d lie past the end of the file", e.tag)
	}
	b := make([]byte, n)
	if err := t.read(b, off); err != nil {
		if err == errTruncated {
			return nil, fmt.Errorf("the values of tag %d lie past the end of the file", e.tag)
		}
		return nil, err
	}
	return b, nil
}

// uints returns integer values (BYTE, SHORT, LONG, IFD and their signed
// forms, negative values as 0): the first want of at most max.
func (t *tiffDir) uints(e ifdEntry, max, want uint64) ([]uint64, error) {
	switch e.typ {
	case 1, 3, 4, 13, 6, 8, 9, 7:
	default:
		return nil, fmt.Errorf("tag %d has field type %d where an integer is expected", e.tag, e.typ)
	}
	b, err := t.data(e, max, want)
	if err != nil {
		return nil, err
	}
	ts := int(tiffTypeSize(e.typ))
	v := make([]uint64, len(b)/ts)
	for i := range v {
		switch e.typ {
		case 1, 7:
			v[i] = uint64(b[i])
		case 6:
			v[i] = uint64(max0(int64(int8(b[i]))))
		case 3:
			v[i] = uint64(t.bo.Uint16(b[i*ts:]))
		case 8:
			v[i] = uint64(max0(int64(int16(t.bo.Uint16(b[i*ts:])))))
		case 4, 13:
			v[i] = uint64(t.bo.Uint32(b[i*ts:]))
		case 9:
			v[i] = uint64(max0(int64(int32(t.bo.Uint32(b[i*ts:])))))
		}
	}
	return v, nil
}

func max0(v int64) int64 {
	if v < 0 {
		return 0
	}
	return v
}

// uint1 returns the first integer value of an entry.
func (t *tiffDir) uint1(e ifdEntry) (uint64, error) {
	if e.count == 0 {
		return 0, fmt.Errorf("tag %d has no value", e.tag)
	}
	v, err := t.uints(e, math.MaxUint32, 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// real returns the first value of an entry as a number (RATIONAL and the
// integer and floating-point types that some writers use instead). A zero
// denominator gives NaN (0/0 gives 0).
func (t *tiffDir) real(e ifdEntry) (float64, error) {
	if e.count == 0 {
		return 0, fmt.Errorf("tag %d has no value", e.tag)
	}
	switch e.typ {
	case 5, 10, 11, 12:
	default:
		v, err := t.uint1(e)
		return float64(v), err
	}
	b, err := t.data(e, math.MaxUint32, 1)
	if err != nil {
		return 0, err
	}
	switch e.typ {
	case 5:
		n, d := t.bo.Uint32(b), t.bo.Uint32(b[4:])
		if d == 0 {
			if n == 0 {
				return 0, nil
			}
			return math.NaN(), nil
		}
		return float64(n) / float64(d), nil
	case 10:
		n, d := int32(t.bo.Uint32(b)), int32(t.bo.Uint32(b[4:]))
		if d == 0 {
			if n == 0 {
				return 0, nil
			}
			return math.NaN(), nil
		}
		return float64(n) / float64(d), nil
	case 11:
		return float64(math.Float32frombits(t.bo.Uint32(b))), nil
	}
	return math.Float64frombits(t.bo.Uint64(b)), nil
}

// tagMap indexes entries by tag (the first of duplicates wins).
type tagMap map[uint16]ifdEntry

func newTagMap(es []ifdEntry) tagMap {
	m := make(tagMap, len(es))
	for _, e := range es {
		if _, ok := m[e.tag]; !ok {
			m[e.tag] = e
		}
	}
	return m
}
