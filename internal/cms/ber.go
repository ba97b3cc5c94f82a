package cms

import (
	"errors"
	"fmt"
)

// Limits of the parser.
const (
	// MaxInput is the largest message Parse accepts.
	MaxInput = 16 << 20
	// maxDepth bounds the nesting of ASN.1 elements.
	maxDepth = 64
)

var errBER = fmt.Errorf("%w: bad BER encoding", ErrMalformed)

// toDER converts the first BER element of in to DER and returns it with the number of bytes of in
// it spans. It converts indefinite lengths, non-minimal lengths and constructed strings; anything
// else, in particular every part that is already DER, is copied byte for byte, so DER input comes
// back unchanged (the same slice) with changed false. It does not sort SETs: that would change
// signed bytes. It runs in two linear passes: the first measures, the second writes.
func toDER(in []byte) (der []byte, n int, changed bool, err error) {
	c := berConv{in: in}
	end, size, _, err := c.measure(0, 0)
	if err != nil {
		return nil, 0, false, err
	}
	if !c.changed {
		return in[:end], end, false, nil
	}
	c.out = make([]byte, 0, size)
	c.next = 0
	c.write(0)
	return c.out, end, true, nil
}

type berConv struct {
	in      []byte
	lens    []int // content lengths of the constructed elements, in pre-order
	next    int   // the next index of lens, while writing
	out     []byte
	changed bool
}

// header is a decoded BER identifier and length.
type header struct {
	tagEnd      int  // offset just after the identifier octets
	start       int  // offset of the contents
	length      int  // content length, when definite
	constructed bool // the constructed bit
	indefinite  bool
	str         bool // a universal string type, which DER encodes primitive
}

func (c *berConv) header(off int) (header, error) {
	in := c.in
	var h header
	if off >= len(in) {
		return h, errBER
	}
	t := in[off]
	h.constructed = t&0x20 != 0
	p := off + 1
	if t&0x1f == 0x1f { // high tag number: copied as is
		for {
			if p >= len(in) || p-off > 5 {
				return h, errBER
			}
			p++
			if in[p-1]&0x80 == 0 {
				break
			}
		}
	} else if t&0xc0 == 0 {
		switch t & 0x1f {
		case 4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30: // OCTET STRING and character strings
			h.str = true
		}
	}
	h.tagEnd = p
	if p >= len(in) {
		return h, errBER
	}
	l := in[p]
	p++
	switch {
	case l < 0x80:
		h.length = int(l)
	case l == 0x80:
		if !h.constructed {
			return h, errBER
		}
		h.indefinite = true
		c.changed = true
	default:
		n := int(l & 0x7f)
		if n > 4 || p+n > len(in) {
			return h, errBER
		}
		v := 0
		for _, b := range in[p : p+n] {
			v = v<<8 | int(b)
		}
		p += n
		if v < 0x80 || in[p-n] == 0 {
			c.changed = true // non-minimal
		}
		h.length = v
	}
	h.start = p
	if !h.indefinite && h.length > len(in)-p {
		return h, errBER
	}
	if h.str && h.constructed {
		c.changed = true
	}
	return h, nil
}

// measure reads the element at off: the offset just after it, its DER size, and the size of its
// DER contents.
func (c *berConv) measure(off, depth int) (end, size, content int, err error) {
	if depth > maxDepth {
		return 0, 0, 0, fmt.Errorf("%w: nested too deep", ErrMalformed)
	}
	h, err := c.header(off)
	if err != nil {
		return 0, 0, 0, err
	}
	if !h.constructed {
		return h.start + h.length, derSize(h.tagEnd-off, h.length), h.length, nil
	}
	idx := len(c.lens)
	c.lens = append(c.lens, 0)
	limit := len(c.in)
	if !h.indefinite {
		limit = h.start + h.length
	}
	p := h.start
	for {
		if h.indefinite {
			if p+2 > limit {
				return 0, 0, 0, errBER
			}
			if c.in[p] == 0 && c.in[p+1] == 0 {
				p += 2
				break
			}
		} else if p == limit {
			break
		}
		if h.str && c.in[p]&0x1f != c.in[off]&0x1f {
			return 0, 0, 0, errBER // a constructed string holds strings of its own type
		}
		e, s, cs, err := c.measure(p, depth+1)
		if err != nil {
			return 0, 0, 0, err
		}
		if e > limit {
			return 0, 0, 0, errBER
		}
		p = e
		if h.str {
			content += cs
		} else {
			content += s
		}
		if content > MaxInput {
			return 0, 0, 0, errors.New("cms: message too large")
		}
	}
	c.lens[idx] = content
	return p, derSize(h.tagEnd-off, content), content, nil
}

// write appends the DER of the element at off (measured before) and returns the offset after it.
func (c *berConv) write(off int) int {
	h, _ := c.header(off)
	if !h.constructed {
		c.out = append(c.out, c.in[off:h.tagEnd]...)
		c.out = appendLength(c.out, h.length)
		c.out = append(c.out, c.in[h.start:h.start+h.length]...)
		return h.start + h.length
	}
	content := c.lens[c.next]
	c.next++
	tag := c.in[off:h.tagEnd]
	if h.str {
		c.out = append(c.out, tag[0]&^0x20)
	} else {
		c.out = append(c.out, tag...)
	}
	c.out = appendLength(c.out, content)
	return c.children(h, h.str)
}

// children writes the children of a constructed element; flat writes only their string contents.
func (c *berConv) children(h header, flat bool) int {
	p := h.start
	for {
		if h.indefinite {
			if c.in[p] == 0 && c.in[p+1] == 0 {
				return p + 2
			}
		} else if p == h.start+h.length {
			return p
		}
		if !flat {
			p = c.write(p)
			continue
		}
		ch, _ := c.header(p)
		if ch.constructed {
			c.next++
			p = c.children(ch, true)
		} else {
			c.out = append(c.out, c.in[ch.start:ch.start+ch.length]...)
			p = ch.start + ch.length
		}
	}
}

func derSize(tagLen, content int) int { return tagLen + len(appendLength(nil, content)) + content }

func appendLength(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 1<<8:
		return append(b, 0x81, byte(n))
	case n < 1<<16:
		return append(b, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}
