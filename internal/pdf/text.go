package pdf

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// TextRun is a piece of text shown on a page with its box in user space.
type TextRun struct {
	Text string
	Box  Rect
	Size float64 // font size in user space
}

// Text extracts the text runs of page n with their positions: enough to find an anchor (the
// signer's name, the "Số: …" placeholder) without OCR. Fonts map codes to text through their
// ToUnicode maps (simple fonts without one are read as Latin-1). A page is read once per Doc.
func (d *Doc) Text(n int) ([]TextRun, error) {
	if runs, ok := d.text[n]; ok {
		return runs, nil
	}
	runs, err := d.extractText(n)
	if err != nil {
		return nil, err
	}
	if d.text == nil {
		d.text = map[int][]TextRun{}
	}
	d.text[n] = runs
	return runs, nil
}

// pageContent returns the page's content streams, decoded and joined.
func (d *Doc) pageContent(pd types.Dict) ([]byte, error) {
	o, err := d.deref(pd["Contents"])
	if err != nil {
		return nil, err
	}
	parts, ok := o.(types.Array)
	if !ok {
		parts = types.Array{pd["Contents"]}
	}
	var content []byte
	for _, p := range parts {
		if p == nil {
			continue
		}
		data, err := d.streamData(p)
		if err != nil {
			return nil, err
		}
		if len(content)+len(data) > maxDecoded {
			return nil, damaged("the page's content streams decode to more than %d bytes", maxDecoded)
		}
		content = append(append(content, data...), '\n')
	}
	return content, nil
}

func (d *Doc) extractText(n int) ([]TextRun, error) {
	pd, _, _, err := d.page(n)
	if err != nil {
		return nil, err
	}
	content, err := d.pageContent(pd)
	if err != nil {
		return nil, damaged("page %d contents: %v", n, err)
	}
	p, err := d.findPage(n)
	if err != nil {
		return nil, err
	}
	fonts := map[string]*textFont{}
	if fd, err := d.dict(p.resources["Font"]); err == nil {
		for name, ref := range fd {
			fonts[name] = d.loadTextFont(ref)
		}
	}
	return runText(content, fonts), nil
}

// textFont decodes shown strings: code width in bytes, code → text, code → width (1/1000 em).
type textFont struct {
	twoByte bool
	toUni   map[uint32]string
	widths  map[uint32]float64
	dw      float64
}

func (f *textFont) decode(s []byte) (codes []uint32) {
	if f.twoByte {
		for i := 0; i+1 < len(s); i += 2 {
			codes = append(codes, uint32(s[i])<<8|uint32(s[i+1]))
		}
		return codes
	}
	for _, b := range s {
		codes = append(codes, uint32(b))
	}
	return codes
}

func (f *textFont) text(c uint32) string {
	if t, ok := f.toUni[c]; ok {
		return t
	}
	if !f.twoByte {
		return string(rune(c))
	}
	return "\ufffd"
}

func (f *textFont) width(c uint32) float64 {
	if w, ok := f.widths[c]; ok {
		return w
	}
	return f.dw
}

func (d *Doc) loadTextFont(ref types.Object) *textFont {
	f := &textFont{toUni: map[uint32]string{}, widths: map[uint32]float64{}, dw: 500}
	fd, err := d.dict(ref)
	if err != nil || fd == nil {
		return f
	}
	if sub, _ := fd["Subtype"].(types.Name); sub == "Type0" {
		f.twoByte = true
		if desc, err := d.deref(fd["DescendantFonts"]); err == nil {
			if a, ok := desc.(types.Array); ok && len(a) > 0 {
				if cid, err := d.dict(a[0]); err == nil && cid != nil {
					if dw, ok := cid["DW"]; ok {
						f.dw = num(dw)
					} else {
						f.dw = 1000
					}
					if w, err := d.deref(cid["W"]); err == nil {
						if wa, ok := w.(types.Array); ok {
							d.cidWidths(wa, f.widths)
						}
					}
				}
			}
		}
	} else {
		first := int(num(fd["FirstChar"]))
		if w, err := d.deref(fd["Widths"]); err == nil {
			if wa, ok := w.(types.Array); ok {
				for i, v := range wa {
					if x, err := d.deref(v); err == nil {
						f.widths[uint32(first+i)] = num(x)
					}
				}
			}
		}
	}
	if tu, ok := fd["ToUnicode"].(types.IndirectRef); ok {
		if data, err := d.streamData(tu); err == nil {
			parseToUnicode(data, f.toUni)
		}
	}
	return f
}

// cidWidths reads a CIDFont's W array: c [w1 w2 …] or c1 c2 w.
func (d *Doc) cidWidths(a types.Array, out map[uint32]float64) {
	for i := 0; i < len(a); {
		start := uint32(num(a[i]))
		if i+1 >= len(a) {
			return
		}
		next, _ := d.deref(a[i+1])
		if ws, ok := next.(types.Array); ok {
			for k, w := range ws {
				out[start+uint32(k)] = num(w)
			}
			i += 2
			continue
		}
		if i+2 >= len(a) {
			return
		}
		end, w := uint32(num(next)), num(a[i+2])
		for k := uint32(0); end >= start && k <= end-start && k < 65536; k++ {
			out[start+k] = w
		}
		i += 3
	}
}

// parseToUnicode reads bfchar and bfrange entries of a ToUnicode CMap.
func parseToUnicode(cmap []byte, out map[uint32]string) {
	toks := tokenize(cmap)
	hexVal := func(t token) (uint32, bool) {
		if t.kind != tokHex || len(t.data) > 4 {
			return 0, false
		}
		var v uint32
		for _, b := range t.data {
			v = v<<8 | uint32(b)
		}
		return v, true
	}
	utf := func(b []byte) string {
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	for i := 0; i < len(toks); i++ {
		switch string(toks[i].data) {
		case "beginbfchar":
			for i++; i+1 < len(toks) && toks[i].kind == tokHex; i += 2 {
				if c, ok := hexVal(toks[i]); ok && toks[i+1].kind == tokHex {
					out[c] = utf(toks[i+1].data)
				}
			}
		case "beginbfrange":
			for i++; i+2 < len(toks) && toks[i].kind == tokHex; i += 3 {
				lo, ok1 := hexVal(toks[i])
				hi, ok2 := hexVal(toks[i+1])
				if !ok1 || !ok2 || hi < lo || hi-lo > 65535 {
					continue
				}
				if toks[i+2].kind == tokHex {
					base := []rune(utf(toks[i+2].data))
					if len(base) == 0 {
						continue
					}
					for k := uint32(0); k <= hi-lo; k++ { // by offset: lo+k cannot wrap around
						r := append([]rune{}, base...)
						r[len(r)-1] += rune(k)
						out[lo+k] = string(r)
					}
				}
			}
		}
	}
}

type tokKind int

const (
	tokOp tokKind = iota
	tokNum
	tokName
	tokStr
	tokHex
	tokArrStart
	tokArrEnd
)

type token struct {
	kind tokKind
	data []byte
	num  float64
}

// tokenize splits a content stream (or CMap) into tokens; dictionaries and inline images are
// skipped.
func tokenize(b []byte) []token {
	var out []token
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		case c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0:
			i++
		case c == '[':
			out = append(out, token{kind: tokArrStart})
			i++
		case c == ']':
			out = append(out, token{kind: tokArrEnd})
			i++
		case c == '(':
			s, n := literal(b[i:])
			out = append(out, token{kind: tokStr, data: s})
			i += n
		case c == '<' && i+1 < len(b) && b[i+1] == '<':
			depth := 0
			for i+1 < len(b) {
				if b[i] == '<' && b[i+1] == '<' {
					depth++
					i += 2
				} else if b[i] == '>' && b[i+1] == '>' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case c == '<':
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 {
				return out
			}
			out = append(out, token{kind: tokHex, data: unhex(b[i+1 : i+j])})
			i += j + 1
		case c == '/':
			j := i + 1
			for j < len(b) && !delim(b[j]) {
				j++
			}
			out = append(out, token{kind: tokName, data: b[i+1 : j]})
			i = j
		default:
			j := i
			for j < len(b) && !delim(b[j]) {
				j++
			}
			if j == i {
				i++
				continue
			}
			w := b[i:j]
			if f, err := strconv.ParseFloat(string(w), 64); err == nil {
				out = append(out, token{kind: tokNum, num: f})
			} else {
				out = append(out, token{kind: tokOp, data: w})
				if string(w) == "BI" { // skip an inline image
					if k := bytes.Index(b[j:], []byte("EI")); k >= 0 {
						j += k + 2
					}
				}
			}
			i = j
		}
	}
	return out
}

func delim(c byte) bool { return strings.IndexByte(" \t\r\n\f\x00()<>[]{}/%", c) >= 0 }

func unhex(h []byte) []byte {
	var clean []byte
	for _, c := range h {
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
			clean = append(clean, c)
		}
	}
	if len(clean)%2 == 1 {
		clean = append(clean, '0')
	}
	out := make([]byte, len(clean)/2)
	for i := range out {
		v, _ := strconv.ParseUint(string(clean[2*i:2*i+2]), 16, 8)
		out[i] = byte(v)
	}
	return out
}

// literal reads a (string) with escapes and balanced parentheses; n is the bytes consumed.
func literal(b []byte) (s []byte, n int) {
	depth := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b):
			i++
			switch e := b[i]; e {
			case 'n':
				s = append(s, '\n')
			case 'r':
				s = append(s, '\r')
			case 't':
				s = append(s, '\t')
			case 'b':
				s = append(s, '\b')
			case 'f':
				s = append(s, '\f')
			case '\r', '\n':
			default:
				if e >= '0' && e <= '7' {
					v, k := 0, 0
					for ; k < 3 && i+k < len(b) && b[i+k] >= '0' && b[i+k] <= '7'; k++ {
						v = v*8 + int(b[i+k]-'0')
					}
					s = append(s, byte(v))
					i += k - 1
				} else {
					s = append(s, e)
				}
			}
		case c == '(':
			depth++
			if depth > 1 {
				s = append(s, c)
			}
		case c == ')':
			depth--
			if depth == 0 {
				return s, i + 1
			}
			s = append(s, c)
		default:
			s = append(s, c)
		}
	}
	return s, len(b)
}

type matrix [6]float64

func (m matrix) mul(n matrix) matrix {
	return matrix{m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3], m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5]}
}

var identity = matrix{1, 0, 0, 1, 0, 0}

// maxKern is the largest adjustment in a TJ array (thousandths of an em) read as kerning within
// a run: a larger one is a gap between two texts, as Ghostscript writes "Số: …" and the date
// line of a decision as one array spanning the page.
const maxKern = 1500

// runText interprets the text operators of a content stream.
func runText(content []byte, fonts map[string]*textFont) []TextRun {
	toks := tokenize(content)
	var runs []TextRun
	ctm := identity
	var stack []matrix
	tm, tlm := identity, identity
	var font *textFont
	size, leading, charSp, wordSp, hscale := 0.0, 0.0, 0.0, 0.0, 1.0
	var operands []token
	show := func(parts []token) {
		if font == nil {
			return
		}
		var text strings.Builder
		start := tm.mul(ctm)
		emit := func() { // the run shown from start to the current position
			if text.Len() == 0 {
				return
			}
			end := tm.mul(ctm)
			scale := math.Hypot(start[2], start[3])
			h := size * scale
			runs = append(runs, TextRun{Text: text.String(), Size: h,
				Box: Rect{X1: start[4], Y1: start[5] - 0.22*h, X2: end[4], Y2: start[5] + 0.78*h}})
			text.Reset()
		}
		for _, p := range parts {
			if p.kind == tokNum {
				gap := math.Abs(p.num) > maxKern // not kerning: what follows is other text
				if gap {
					emit()
				}
				tm = matrix{1, 0, 0, 1, -p.num / 1000 * size * hscale, 0}.mul(tm)
				if gap {
					start = tm.mul(ctm)
				}
				continue
			}
			for _, c := range font.decode(p.data) {
				t := font.text(c)
				text.WriteString(t)
				adv := (font.width(c)/1000*size + charSp)
				if t == " " {
					adv += wordSp
				}
				tm = matrix{1, 0, 0, 1, adv * hscale, 0}.mul(tm)
			}
		}
		emit()
	}
	for _, t := range toks {
		if t.kind != tokOp {
			operands = append(operands, t)
			continue
		}
		nums := func(k int) []float64 {
			if len(operands) < k {
				return nil
			}
			out := make([]float64, k)
			for i, o := range operands[len(operands)-k:] {
				out[i] = o.num
			}
			return out
		}
		switch string(t.data) {
		case "q":
			stack = append(stack, ctm)
		case "Q":
			if len(stack) > 0 {
				ctm, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "cm":
			if v := nums(6); v != nil {
				ctm = matrix{v[0], v[1], v[2], v[3], v[4], v[5]}.mul(ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "Tf":
			if len(operands) >= 2 && operands[len(operands)-2].kind == tokName {
				font = fonts[string(operands[len(operands)-2].data)]
				size = operands[len(operands)-1].num
			}
		case "TL":
			if v := nums(1); v != nil {
				leading = v[0]
			}
		case "Tc":
			if v := nums(1); v != nil {
				charSp = v[0]
			}
		case "Tw":
			if v := nums(1); v != nil {
				wordSp = v[0]
			}
		case "Tz":
			if v := nums(1); v != nil {
				hscale = v[0] / 100
			}
		case "Td", "TD":
			if v := nums(2); v != nil {
				if string(t.data) == "TD" {
					leading = -v[1]
				}
				tlm = matrix{1, 0, 0, 1, v[0], v[1]}.mul(tlm)
				tm = tlm
			}
		case "Tm":
			if v := nums(6); v != nil {
				tlm = matrix{v[0], v[1], v[2], v[3], v[4], v[5]}
				tm = tlm
			}
		case "T*":
			tlm = matrix{1, 0, 0, 1, 0, -leading}.mul(tlm)
			tm = tlm
		case "Tj":
			if len(operands) > 0 {
				show(operands[len(operands)-1:])
			}
		case "'", "\"":
			tlm = matrix{1, 0, 0, 1, 0, -leading}.mul(tlm)
			tm = tlm
			if len(operands) > 0 {
				show(operands[len(operands)-1:])
			}
		case "TJ":
			var parts []token
			for _, o := range operands {
				if o.kind == tokStr || o.kind == tokHex || o.kind == tokNum {
					parts = append(parts, o)
				}
			}
			show(parts)
		}
		operands = operands[:0]
	}
	return runs
}

// FindRun returns the first run on page n whose text contains all of parts (case folded).
func (d *Doc) FindRun(n int, parts ...string) (TextRun, bool, error) {
	runs, err := d.Text(n)
	if err != nil {
		return TextRun{}, false, err
	}
	for _, r := range runs {
		t := strings.ToLower(r.Text)
		all := true
		for _, p := range parts {
			all = all && strings.Contains(t, strings.ToLower(p))
		}
		if all {
			return r, true, nil
		}
	}
	return TextRun{}, false, nil
}

// Above returns the nearest run above box on page n that overlaps it horizontally.
func (d *Doc) Above(n int, box Rect) (TextRun, bool, error) {
	runs, err := d.Text(n)
	if err != nil {
		return TextRun{}, false, err
	}
	var best TextRun
	found := false
	for _, r := range runs {
		if r.Box.Y1 > box.Y2 && r.Box.X1 < box.X2 && r.Box.X2 > box.X1 && (!found || r.Box.Y1 < best.Box.Y1) {
			best, found = r, true
		}
	}
	return best, found, nil
}

// FindText returns the box of the first run on page n whose text contains s (spaces and case
// folded), narrowed to where s itself starts, by the run's average character width.
func (d *Doc) FindText(n int, s string) (Rect, bool, error) {
	runs, err := d.Text(n)
	if err != nil {
		return Rect{}, false, err
	}
	norm := func(x string) string { return strings.ToLower(strings.Join(strings.Fields(x), " ")) }
	want := norm(s)
	for _, r := range runs {
		text := norm(r.Text)
		i := strings.Index(text, want)
		if i < 0 {
			continue
		}
		total := float64(len([]rune(text)))
		before := float64(len([]rune(text[:i])))
		w := r.Box.Width()
		box := r.Box
		if total > 0 {
			box.X1 = r.Box.X1 + w*before/total
			box.X2 = box.X1 + w*float64(len([]rune(want)))/total
		}
		return box, true, nil
	}
	return Rect{}, false, nil
}
