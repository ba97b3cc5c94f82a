package pdf

import (
	"encoding/binary"
	"errors"
	"sort"
)

// subsetTTF returns the TrueType font with every glyph outside keep emptied. Glyph IDs do not
// change, so Identity-H codes, widths and ToUnicode maps written for the full font stay right;
// only the outlines of unused glyphs go (composite glyphs keep their parts). Tables a PDF
// renderer does not need (names, kerning, OpenType layout) are dropped.
func subsetTTF(ttf []byte, keep map[uint16]bool) ([]byte, error) {
	if len(ttf) < 12 {
		return nil, errors.New("font too short")
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	tables := map[string][]byte{}
	for i := range n {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errors.New("table directory truncated")
		}
		tag := string(ttf[rec : rec+4])
		off, length := binary.BigEndian.Uint32(ttf[rec+8:]), binary.BigEndian.Uint32(ttf[rec+12:])
		if uint64(off)+uint64(length) > uint64(len(ttf)) {
			return nil, errors.New("table outside the font")
		}
		tables[tag] = ttf[off : off+length]
	}
	head, maxp, loca, glyf := tables["head"], tables["maxp"], tables["loca"], tables["glyf"]
	if len(head) < 54 || len(maxp) < 6 || loca == nil || glyf == nil {
		return nil, errors.New("not a TrueType outline font")
	}
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	long := binary.BigEndian.Uint16(head[50:]) == 1
	offset := func(g int) (int, bool) {
		if long {
			if 4*g+4 > len(loca) {
				return 0, false
			}
			return int(binary.BigEndian.Uint32(loca[4*g:])), true
		}
		if 2*g+2 > len(loca) {
			return 0, false
		}
		return 2 * int(binary.BigEndian.Uint16(loca[2*g:])), true
	}
	glyph := func(g int) []byte {
		a, ok1 := offset(g)
		b, ok2 := offset(g + 1)
		if !ok1 || !ok2 || a > b || b > len(glyf) {
			return nil
		}
		return glyf[a:b]
	}
	// keep .notdef and the parts of composite glyphs
	want := map[int]bool{0: true}
	var queue []int
	for g := range keep {
		if int(g) < numGlyphs {
			queue = append(queue, int(g))
		}
	}
	for len(queue) > 0 {
		g := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if want[g] && g != 0 {
			continue
		}
		want[g] = true
		data := glyph(g)
		if len(data) < 10 || int16(binary.BigEndian.Uint16(data)) >= 0 {
			continue
		}
		for p := 10; p+4 <= len(data); {
			flags := binary.BigEndian.Uint16(data[p:])
			part := int(binary.BigEndian.Uint16(data[p+2:]))
			if part < numGlyphs && !want[part] {
				queue = append(queue, part)
			}
			p += 4
			if flags&0x0001 != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&0x0008 != 0:
				p += 2
			case flags&0x0040 != 0:
				p += 4
			case flags&0x0080 != 0:
				p += 8
			}
			if flags&0x0020 == 0 {
				break
			}
		}
	}
	var newGlyf []byte
	newLoca := make([]byte, 4*(numGlyphs+1))
	for g := range numGlyphs {
		binary.BigEndian.PutUint32(newLoca[4*g:], uint32(len(newGlyf)))
		if want[g] {
			newGlyf = append(newGlyf, glyph(g)...)
			for len(newGlyf)%4 != 0 {
				newGlyf = append(newGlyf, 0)
			}
		}
	}
	binary.BigEndian.PutUint32(newLoca[4*numGlyphs:], uint32(len(newGlyf)))
	newHead := append([]byte{}, head...)
	binary.BigEndian.PutUint16(newHead[50:], 1) // long loca offsets
	binary.BigEndian.PutUint32(newHead[8:], 0)  // checkSumAdjustment, set below
	out := map[string][]byte{"head": newHead, "loca": newLoca, "glyf": newGlyf}
	if post := tables["post"]; len(post) >= 32 { // version 3.0: the header without glyph names
		p3 := append([]byte{}, post[:32]...)
		binary.BigEndian.PutUint32(p3, 0x00030000)
		out["post"] = p3
	}
	for _, tag := range []string{"hhea", "hmtx", "maxp", "cvt ", "fpgm", "prep", "cmap", "OS/2"} {
		if t, ok := tables[tag]; ok {
			out[tag] = t
		}
	}
	return writeSFNT(out), nil
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:min(i+4, len(b))])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}

// writeSFNT lays out tables in tag order, 4-byte aligned, with checksums and head's adjustment.
func writeSFNT(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	hdr := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(hdr, 0x00010000)
	binary.BigEndian.PutUint16(hdr[4:], uint16(n))
	binary.BigEndian.PutUint16(hdr[6:], uint16(16<<es))
	binary.BigEndian.PutUint16(hdr[8:], uint16(es))
	binary.BigEndian.PutUint16(hdr[10:], uint16(16*n-16<<es))
	body := []byte{}
	headAt := 0
	for i, t := range tags {
		data := tables[t]
		off := len(hdr) + len(body)
		if t == "head" {
			headAt = off
		}
		rec := 12 + 16*i
		copy(hdr[rec:], t)
		binary.BigEndian.PutUint32(hdr[rec+4:], checksum(data))
		binary.BigEndian.PutUint32(hdr[rec+8:], uint32(off))
		binary.BigEndian.PutUint32(hdr[rec+12:], uint32(len(data)))
		body = append(body, data...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	font := append(hdr, body...)
	binary.BigEndian.PutUint32(font[headAt+8:], 0xB1B0AFBA-checksum(font))
	return font
}
