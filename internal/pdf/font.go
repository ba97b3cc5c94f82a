package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Font is a TrueType font to draw Vietnamese text with. It is embedded whole, as a Type0 font
// with Identity-H encoding, widths and a ToUnicode map for the Latin and Vietnamese ranges, so
// that text renders the same everywhere and copies out as the right characters.
type Font struct {
	path string
	ttf  []byte
	f    *sfnt.Font
	upem float64
	buf  sfnt.Buffer
}

// ranges covered by widths and ToUnicode: Latin, Vietnamese, combining marks, punctuation.
var fontRanges = [][2]rune{{0x20, 0x7e}, {0xa0, 0x24f}, {0x300, 0x36f}, {0x1e00, 0x1eff}, {0x2000, 0x206f}, {0x20a0, 0x20cf}}

// LoadFont reads a TrueType font file.
func LoadFont(path string) (*Font, error) {
	ttf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	return parseFont(path, ttf)
}

func parseFont(name string, ttf []byte) (*Font, error) {
	f, err := sfnt.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	return &Font{path: name, ttf: ttf, f: f, upem: float64(f.UnitsPerEm())}, nil
}

// glyphs maps text to glyph IDs, failing on characters the font lacks.
func (f *Font) glyphs(s string) ([]sfnt.GlyphIndex, error) {
	out := make([]sfnt.GlyphIndex, 0, len(s))
	for _, r := range s {
		g, err := f.f.GlyphIndex(&f.buf, r)
		if err != nil || g == 0 {
			return nil, fmt.Errorf("font %s has no glyph for %q", f.path, r)
		}
		out = append(out, g)
	}
	return out, nil
}

// advance is the width of glyph g in 1/1000 em.
func (f *Font) advance(g sfnt.GlyphIndex) float64 {
	a, err := f.f.GlyphAdvance(&f.buf, g, fixed.I(int(f.upem)), font.HintingNone)
	if err != nil {
		return 0
	}
	return float64(a) / 64 * 1000 / f.upem
}

// Width is the width of s at size points.
func (f *Font) Width(s string, size float64) (float64, error) {
	gs, err := f.glyphs(s)
	if err != nil {
		return 0, err
	}
	w := 0.0
	for _, g := range gs {
		w += f.advance(g)
	}
	return w * size / 1000, nil
}

// show returns the content-stream operand for s: a hex string of 2-byte glyph IDs.
func (f *Font) show(s string) (string, error) {
	gs, err := f.glyphs(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteByte('<')
	for _, g := range gs {
		fmt.Fprintf(&b, "%04X", uint16(g))
	}
	b.WriteByte('>')
	return b.String(), nil
}

// deflate compresses data for a FlateDecode stream, as small as zlib makes it.
func deflate(data []byte) []byte { return Deflate(data, zlib.BestCompression) }

// Deflate compresses data for a FlateDecode stream at the zlib level given.
func Deflate(data []byte, level int) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, level)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// embed writes the font's objects into inc and returns the Type0 font's reference. The font
// file is a subset holding the glyphs of texts, or, when texts is nil, every Latin and
// Vietnamese glyph (a form's default font, which later fills of any text reuse).
func (f *Font) embed(inc *Increment, texts []string) Ref {
	gidToRune := map[sfnt.GlyphIndex]rune{}
	add := func(r rune) {
		if g, err := f.f.GlyphIndex(&f.buf, r); err == nil && g != 0 {
			if _, seen := gidToRune[g]; !seen {
				gidToRune[g] = r
			}
		}
	}
	if texts == nil {
		for _, rg := range fontRanges {
			for r := rg[0]; r <= rg[1]; r++ {
				add(r)
			}
		}
	}
	for _, t := range texts {
		for _, r := range t {
			add(r)
		}
	}
	gids := make([]int, 0, len(gidToRune))
	for g := range gidToRune {
		gids = append(gids, int(g))
	}
	sort.Ints(gids)
	widths := types.Array{}
	var cmap strings.Builder
	cmap.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 {
		chunk := gids[i:min(i+100, len(gids))]
		fmt.Fprintf(&cmap, "%d beginbfchar\n", len(chunk))
		for _, g := range chunk {
			fmt.Fprintf(&cmap, "<%04X> <%04X>\n", g, gidToRune[sfnt.GlyphIndex(g)])
		}
		cmap.WriteString("endbfchar\n")
	}
	cmap.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	for _, g := range gids {
		widths = append(widths, types.Integer(g), types.Array{types.Float(f.advance(sfnt.GlyphIndex(g)))})
	}
	keep := map[uint16]bool{}
	tag := fnv.New32a()
	for _, g := range gids {
		keep[uint16(g)] = true
		fmt.Fprint(tag, g, ",")
	}
	data, err := subsetTTF(f.ttf, keep)
	if err != nil {
		data = f.ttf // a font we cannot subset is embedded whole
	}
	name := subsetTag(tag.Sum32()) + "+" + strings.NewReplacer(" ", "", "(", "", ")", "").Replace(fontName(f))
	file := inc.AddStream(types.Dict{"Filter": types.Name("FlateDecode"), "Length1": types.Integer(len(data))}, deflate(data))
	bounds, _ := f.f.Bounds(&f.buf, fixed.I(1000), font.HintingNone)
	// CIDSet: a bit per CID the font program holds — what PDF/A-1 (ISO 19005-1 §6.3.5) requires
	// of a subset CID font, and PDF/A-2 checks when present. CIDs are glyph ids (Identity), and
	// the subset keeps every glyph id (unused ones emptied, composite glyphs' parts kept), so
	// every one is set: veraPDF's PDF/A-2 rule wants each CID below the glyph count.
	n := f.f.NumGlyphs()
	cidSet := make([]byte, (n+7)/8)
	for g := range n {
		cidSet[g/8] |= 0x80 >> (g % 8)
	}
	cidSetRef := inc.AddStream(types.Dict{"Filter": types.Name("FlateDecode")}, deflate(cidSet))
	desc := inc.Add(types.Dict{
		"Type": types.Name("FontDescriptor"), "FontName": types.Name(name), "Flags": types.Integer(34),
		"FontBBox": types.Array{types.Integer(bounds.Min.X.Round()), types.Integer(-bounds.Max.Y.Round()),
			types.Integer(bounds.Max.X.Round()), types.Integer(-bounds.Min.Y.Round())},
		"ItalicAngle": types.Integer(0), "Ascent": types.Integer(891), "Descent": types.Integer(-216),
		"CapHeight": types.Integer(662), "StemV": types.Integer(80), "FontFile2": file.ref(), "CIDSet": cidSetRef.ref(),
	})
	cid := inc.Add(types.Dict{
		"Type": types.Name("Font"), "Subtype": types.Name("CIDFontType2"), "BaseFont": types.Name(name),
		"CIDSystemInfo":  types.Dict{"Registry": types.StringLiteral("Adobe"), "Ordering": types.StringLiteral("Identity"), "Supplement": types.Integer(0)},
		"FontDescriptor": desc.ref(), "CIDToGIDMap": types.Name("Identity"), "DW": types.Integer(500), "W": widths,
	})
	toUni := inc.AddStream(types.Dict{"Filter": types.Name("FlateDecode")}, deflate([]byte(cmap.String())))
	return inc.Add(types.Dict{
		"Type": types.Name("Font"), "Subtype": types.Name("Type0"), "BaseFont": types.Name(name),
		"Encoding": types.Name("Identity-H"), "DescendantFonts": types.Array{cid.ref()}, "ToUnicode": toUni.ref(),
	})
}

// subsetTag is the six capital letters PDF puts before a subset font's name.
func subsetTag(h uint32) string {
	b := make([]byte, 6)
	for i := range b {
		b[i] = 'A' + byte(h%26)
		h /= 26
	}
	return string(b)
}

func fontName(f *Font) string {
	if n, err := f.f.Name(&f.buf, sfnt.NameIDPostScript); err == nil && n != "" {
		return n
	}
	return "Serif"
}
