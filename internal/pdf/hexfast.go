package pdf

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// A signature dictionary reserves tens of kilobytes of hex digits for /Contents, and pdfcpu
// scans hex strings one rune at a time against a list: parsing one costs milliseconds, the
// bulk of verifying a document. Objects holding long hex strings are therefore parsed with
// those strings cut out and put back afterwards.

const (
	longHex   = 1024    // hex digits from which a string is cut out
	hexProbe  = 4 << 10 // bytes read to see whether an object holds one
	maxHexObj = 1 << 20 // largest such object parsed this way
)

// hexMarker is what a long hex string is replaced with while parsing: "vbdt" and the string's
// index, in upper-case hex digits as pdfcpu keeps them.
func hexMarker(i int) string { return fmt.Sprintf("76626474%08X", i) }

// parseHexHeavy parses the uncompressed object nr at off when it is a dictionary (not a
// stream) holding long hex strings; ok is false for anything else, which pdfcpu parses.
func (lr *lazyReader) parseHexHeavy(off int64, nr, gen int) (types.Object, bool) {
	if lr.ctx.EncKey != nil || off < 0 || off >= lr.size { // encrypted strings are pdfcpu's to decrypt
		return nil, false
	}
	probe := make([]byte, min(hexProbe, lr.size-off))
	n, _ := lr.src.ReadAt(probe, off)
	probe = probe[:n]
	if end := bytes.Index(probe, []byte("endobj")); end >= 0 {
		probe = probe[:end] // the object's own bytes only
	}
	if !hasLongHex(probe) || bytes.Contains(probe, []byte("stream")) {
		return nil, false
	}
	var buf []byte
	end := -1
	for size := int64(64 << 10); end < 0 && size <= maxHexObj; size *= 4 {
		buf = make([]byte, min(size, lr.size-off))
		n, _ = lr.src.ReadAt(buf, off)
		buf = buf[:n]
		end = bytes.Index(buf, []byte("endobj"))
		if int64(n) < size {
			break
		}
	}
	if end < 0 {
		return nil, false
	}
	body := buf[:end]
	f := bytes.Fields(body[:min(len(body), 48)])
	if len(f) < 3 || string(f[0]) != strconv.Itoa(nr) || string(f[1]) != strconv.Itoa(gen) || !bytes.HasPrefix(f[2], []byte("obj")) {
		return nil, false
	}
	body = body[bytes.Index(body, []byte("obj"))+3:]
	if bytes.Contains(body, []byte("stream")) {
		return nil, false
	}
	var out bytes.Buffer
	var cut []string
	for i := 0; i < len(body); i++ {
		if body[i] == '<' && (i+1 >= len(body) || body[i+1] != '<') && (i == 0 || body[i-1] != '<') {
			if j, digits, ok := hexRun(body, i+1); ok && len(digits) >= longHex {
				out.WriteString("<" + hexMarker(len(cut)) + ">")
				cut = append(cut, digits)
				i = j
				continue
			}
		}
		out.WriteByte(body[i])
	}
	if len(cut) == 0 {
		return nil, false
	}
	line := out.String()
	o, err := model.ParseObjectContext(context.Background(), &line, 0)
	d, isDict := o.(types.Dict)
	if err != nil || !isDict || !restoreHex(d, cut, 0) {
		return nil, false
	}
	return d, true
}

// hasLongHex reports whether b holds a run of at least longHex hex digits.
func hasLongHex(b []byte) bool {
	run := 0
	for _, c := range b {
		switch {
		case isHex(c):
			if run++; run >= longHex {
				return true
			}
		case c == ' ' || c == '\r' || c == '\n' || c == '\t' || c == '\f':
		default:
			run = 0
		}
	}
	return false
}

// hexRun reads the hex string whose digits start at i, up to its '>': the index of the '>' and
// the digits without white space (an odd count gets its final 0, PDF 32000-1 §7.3.4.3).
func hexRun(b []byte, i int) (int, string, bool) {
	digits := make([]byte, 0, 64)
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case isHex(c):
			digits = append(digits, c)
		case c == ' ' || c == '\r' || c == '\n' || c == '\t' || c == '\f' || c == 0:
		case c == '>':
			if len(digits)%2 == 1 {
				digits = append(digits, '0')
			}
			return i, string(digits), true
		default:
			return 0, "", false
		}
	}
	return 0, "", false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// restoreHex puts the cut hex strings back in place of their markers; every one must be found.
func restoreHex(o types.Object, cut []string, depth int) bool {
	found := 0
	var walk func(o types.Object, depth int) types.Object
	walk = func(o types.Object, depth int) types.Object {
		if depth > 32 {
			return o
		}
		switch v := o.(type) {
		case types.HexLiteral:
			for i := range cut {
				if string(v) == hexMarker(i) {
					found++
					return types.HexLiteral(cut[i])
				}
			}
		case types.Dict:
			for k, x := range v {
				v[k] = walk(x, depth+1)
			}
		case types.Array:
			for i, x := range v {
				v[i] = walk(x, depth+1)
			}
		}
		return o
	}
	walk(o, depth)
	return found == len(cut)
}

// dictBytes reads the bytes of the uncompressed object at off up to its "stream" or "endobj"
// keyword, or nil when they are not found within maxHexObj bytes.
func (lr *lazyReader) dictBytes(off int64) []byte {
	if off < 0 || off >= lr.size {
		return nil
	}
	for size := int64(16 << 10); size <= maxHexObj; size *= 4 {
		buf := make([]byte, min(size, lr.size-off))
		n, _ := lr.src.ReadAt(buf, off)
		buf = buf[:n]
		end := bytes.Index(buf, []byte("endobj"))
		if s := bytes.Index(buf, []byte("stream")); s >= 0 && (end < 0 || s < end) {
			end = s
		}
		if end >= 0 {
			return buf[:end]
		}
		if int64(n) < size {
			return nil
		}
	}
	return nil
}
