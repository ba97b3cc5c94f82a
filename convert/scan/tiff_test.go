package scan

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/bits"
	"strings"
	"testing"

	"golang.org/x/image/ccitt"
	xtiff "golang.org/x/image/tiff"
)

const bw, bh = 203, 157 // odd sizes: padding bits and short last strips

// xtiffBilevel decodes page 0 with x/image/tiff and packs it, 1 = black.
func xtiffBilevel(b []byte) ([]byte, error) {
	img, err := xtiff.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	r := img.Bounds()
	stride := (r.Dx() + 7) / 8
	out := make([]byte, stride*r.Dy())
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			if color.GrayModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.Gray).Y < 128 {
				out[y*stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return out, nil
}

func invert(b []byte, w, h int) []byte {
	out := append([]byte(nil), b...)
	for i := range out {
		out[i] = ^out[i]
	}
	maskPadding(out, w, h)
	return out
}

// ccittDecode decodes a G4 page's Ranges as a PDF reader would, returning
// packed rows with 1 = black, given the page's BlackIs1.
func ccittDecodeRanges(t *testing.T, src []byte, p Page) []byte {
	t.Helper()
	data := rangeBytes(src, p.Ranges)
	if p.ReverseBits {
		for i := range data {
			data[i] = bits.Reverse8(data[i])
		}
	}
	// x/image/ccitt without Invert gives 1 for white runs, 0 for black runs:
	// exactly PDF's CCITTFaxDecode output with BlackIs1 false. With
	// BlackIs1 true PDF gives the opposite bits. The PDF image is
	// DeviceGray 1-bit, where 0 is black.
	rd := ccitt.NewReader(bytes.NewReader(data), ccitt.MSB, ccitt.Group4, p.Width, p.Height, nil)
	stride := (p.Width + 7) / 8
	out := make([]byte, stride*p.Height)
	if _, err := io.ReadFull(rd, out); err != nil {
		t.Fatalf("ccitt: %v", err)
	}
	blackIs1 := p.DecodeParms["BlackIs1"].(bool)
	for i := range out {
		pdfBits := out[i] // BlackIs1 false: 0 = black run
		if blackIs1 {
			pdfBits = ^pdfBits // 1 = black run
		}
		out[i] = ^pdfBits // DeviceGray: 0 is black; turn into 1 = black
	}
	maskPadding(out, p.Width, p.Height)
	return out
}

func maskPadding(b []byte, w, h int) {
	stride := (w + 7) / 8
	if pad := stride*8 - w; pad > 0 {
		for y := 0; y < h; y++ {
			b[y*stride+stride-1] &= byte(0xFF << pad)
		}
	}
}

func TestTIFFUncompressedBilevel(t *testing.T) {
	truth := bilevelTruth(bw, bh, 1)
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, ph := range []uint32{0, 1} {
			f := writeTIFF(bo, []tpage{bilevelTIFFPage(bw, bh, truth, ph)})
			pages := inspectBytes(t, f)
			if len(pages) != 1 {
				t.Fatalf("%d pages", len(pages))
			}
			p := pages[0]
			if p.Kind != Bilevel || !p.Bilevel || p.Color || p.Width != bw || p.Height != bh || p.XDPI != 300 || p.YDPI != 300 {
				t.Fatalf("page: %+v", p)
			}
			rows, w, h, err := DecodeBilevel(bytes.NewReader(f), p)
			if err != nil {
				t.Fatal(err)
			}
			if w != bw || h != bh || !bytes.Equal(rows, truth) {
				t.Fatalf("photometric %d: %d pixels differ from the truth", ph, diffBits(rows, truth, bw, bh))
			}
			if x, err := xtiffBilevel(f); err != nil || !bytes.Equal(x, truth) {
				t.Fatalf("photometric %d: x/image/tiff differs from the truth (fixture writer bug?): %v", ph, err)
			}
		}
	}
}

// TestTIFFBilevelCompressions: each 1-bit compression libtiff writes
// decodes pixel-exactly, and page 0 agrees with x/image/tiff.
func TestTIFFBilevelCompressions(t *testing.T) {
	truth := bilevelTruth(bw, bh, 2)
	for _, ph := range []uint32{0, 1} {
		src := writeTIFF(binary.LittleEndian, []tpage{bilevelTIFFPage(bw, bh, truth, ph)})
		for _, tc := range []struct {
			args []string
			kind Kind
			comp int
		}{
			{[]string{"-c", "g4"}, G4, cG4},
			{[]string{"-c", "g4", "-r", "16"}, Bilevel, cG4},
			{[]string{"-c", "g4", "-f", "lsb2msb"}, G4, cG4},
			{[]string{"-c", "g4", "-r", "10", "-f", "lsb2msb", "-B"}, Bilevel, cG4},
			{[]string{"-c", "g3"}, Bilevel, cG3},
			{[]string{"-c", "g3:fill", "-r", "32"}, Bilevel, cG3},
			{[]string{"-c", "g3", "-f", "lsb2msb"}, Bilevel, cG3},
			{[]string{"-c", "lzw"}, Bilevel, cLZW},
			{[]string{"-c", "lzw", "-f", "lsb2msb", "-r", "7"}, Bilevel, cLZW},
			{[]string{"-c", "packbits", "-r", "9"}, Bilevel, cPackBits},
			{[]string{"-c", "zip", "-B"}, Bilevel, cDeflate},
			{[]string{"-c", "none", "-f", "lsb2msb"}, Bilevel, cNone},
			{[]string{"-c", "g4", "-t", "-w", "64", "-l", "48"}, Bilevel, cG4},
			{[]string{"-c", "lzw", "-t", "-w", "32", "-l", "32"}, Bilevel, cLZW},
		} {
			name := strings.Join(tc.args, " ")
			f := tiffcp(t, tc.args, src)
			p := inspectBytes(t, f)[0]
			if p.Kind != tc.kind || p.Compression != tc.comp || p.Photometric != int(ph) {
				t.Fatalf("%s ph %d: kind %v compression %d photometric %d; problems %q", name, ph, p.Kind, p.Compression, p.Photometric, p.Problems)
			}
			if p.XDPI != 300 || p.YDPI != 300 || !p.Bilevel || p.Color || p.ColorSpace != "DeviceGray" {
				t.Fatalf("%s: %+v", name, p)
			}
			rows, _, _, err := DecodeBilevel(bytes.NewReader(f), p)
			if err != nil {
				t.Fatalf("%s ph %d: %v", name, ph, err)
			}
			if !bytes.Equal(rows, truth) {
				t.Fatalf("%s ph %d: DecodeBilevel: %d pixels differ from the truth", name, ph, diffBits(rows, truth, bw, bh))
			}
			// The libtiff oracle: tiffcp back to uncompressed, MSB first.
			back := tiffcp(t, []string{"-c", "none", "-f", "msb2lsb"}, f)
			bp := inspectBytes(t, back)[0]
			if rows2, _, _, err := DecodeBilevel(bytes.NewReader(back), bp); err != nil || !bytes.Equal(rows2, truth) {
				t.Fatalf("%s ph %d: libtiff decompression differs from the truth (%v)", name, ph, err)
			}
			// x/image/tiff as a second oracle. It reads CCITT data with the
			// opposite polarity to libtiff's when Photometric is 1
			// (BlackIsZero): it renders the black runs black whatever
			// Photometric says. libtiff, img2pdf and PDF readers follow the
			// samples: a black run is a 1 sample, white under BlackIsZero.
			x, err := xtiffBilevel(f)
			if err != nil {
				// x/image/ccitt rejects byte-aligned EOLs (fill bits).
				t.Logf("%s ph %d: x/image/tiff cannot read it: %v", name, ph, err)
				x = truth
				if ph == 1 && (tc.comp == cG3 || tc.comp == cG4) {
					x = invert(truth, bw, bh)
				}
			}
			ccittFile := tc.comp == cG3 || tc.comp == cG4
			switch {
			case !ccittFile && p.ReverseBits:
				// x/image/tiff ignores FillOrder 2 except for CCITT data;
				// libtiff reverses the bits before decompressing.
				if bytes.Equal(x, truth) {
					t.Logf("%s: x/image/tiff now honours FillOrder 2", name)
				}
			case ccittFile && ph == 1:
				inv := append([]byte(nil), x...)
				for i := range inv {
					inv[i] = ^inv[i]
				}
				maskPadding(inv, bw, bh)
				if !bytes.Equal(inv, truth) {
					t.Fatalf("%s ph 1: x/image/tiff is not simply inverted (%d pixels differ)", name, diffBits(inv, truth, bw, bh))
				}
			default:
				if !bytes.Equal(x, truth) {
					t.Fatalf("%s ph %d: x/image/tiff: %d pixels differ", name, ph, diffBits(x, truth, bw, bh))
				}
			}
			if p.Kind == G4 {
				if p.Filter != "CCITTFaxDecode" || len(p.Ranges) != 1 || p.DecodeParms["K"] != -1 ||
					p.DecodeParms["Columns"] != bw || p.DecodeParms["Rows"] != bh || p.DecodeParms["BlackIs1"] != (ph == 1) {
					t.Fatalf("%s: G4 description %+v", name, p)
				}
				if p.ReverseBits != strings.Contains(name, "lsb2msb") {
					t.Fatalf("%s: ReverseBits %v", name, p.ReverseBits)
				}
				if got := ccittDecodeRanges(t, f, p); !bytes.Equal(got, truth) {
					t.Fatalf("%s ph %d: the passthrough bytes as a PDF reader decodes them: %d pixels differ", name, ph, diffBits(got, truth, bw, bh))
				}
			} else if p.Filter != "" || p.Ranges != nil {
				t.Fatalf("%s: non-passthrough page with Filter %q Ranges %v", name, p.Filter, p.Ranges)
			}
			if p.Kind == Bilevel && p.Compression == cG4 && len(p.Strips) < 2 {
				t.Fatalf("%s: multi-strip G4 with %d strips", name, len(p.Strips))
			}
			// DecodeImage agrees for bilevel pages too.
			img, err := DecodeImage(bytes.NewReader(f), p)
			if err != nil {
				t.Fatal(err)
			}
			g := img.(*image.Gray)
			for y := 0; y < bh; y++ {
				for x := 0; x < bw; x++ {
					black := truth[y*((bw+7)/8)+x/8]&(0x80>>(x%8)) != 0
					if (g.GrayAt(x, y).Y == 0) != black {
						t.Fatalf("%s: DecodeImage differs at %d,%d", name, x, y)
					}
				}
			}
		}
	}
}

// CCITT Group 3 with two-dimensional rows (T4Options bit 0), as libtiff writes it: with and
// without fill bits, in one strip or several, either bit order and byte order, decoded to
// the bitmap it was made of (it was refused before).
func TestTIFFG3TwoDimensional(t *testing.T) {
	truth := bilevelTruth(203, 90, 5)
	src := writeTIFF(binary.LittleEndian, []tpage{bilevelTIFFPage(203, 90, truth, 0)})
	for _, args := range [][]string{{"-c", "g3:2d"}, {"-c", "g3:2d:fill", "-r", "7"}, {"-c", "g3:2d", "-f", "lsb2msb", "-B"}, {"-c", "g3:2d:fill", "-r", "1"}} {
		f := tiffcp(t, args, src)
		p := inspectBytes(t, f)[0]
		if p.Kind != Bilevel || p.Compression != cG3 {
			t.Fatalf("%v: %+v", args, p)
		}
		rows, w, h, err := DecodeBilevel(bytes.NewReader(f), p)
		if err != nil || w != 203 || h != 90 {
			t.Fatalf("%v: %d×%d %v", args, w, h, err)
		}
		if !bytes.Equal(rows, truth) {
			t.Errorf("%v: %d pixels differ from the bitmap", args, diffBits(rows, truth, 203, 90))
		}
	}
}

func TestTIFFMultiPage(t *testing.T) {
	var files [][]byte
	var truths [][]byte
	args := [][]string{{"-c", "g4"}, {"-c", "g4", "-r", "20"}, {"-c", "lzw"}, {"-c", "g3"}, {"-c", "packbits"}}
	for i := range args {
		tr := bilevelTruth(bw+i*8, bh-i*3, int64(10+i))
		truths = append(truths, tr)
		files = append(files, tiffcp(t, args[i], writeTIFF(binary.LittleEndian, []tpage{bilevelTIFFPage(bw+i*8, bh-i*3, tr, uint32(i%2))})))
	}
	for _, order := range []string{"-L", "-B"} {
		f := tiffcp(t, []string{order}, files...)
		pages := inspectBytes(t, f)
		if len(pages) != len(files) {
			t.Fatalf("%d pages, want %d", len(pages), len(files))
		}
		for i, p := range pages {
			if p.Index != i || p.Width != bw+i*8 || p.Height != bh-i*3 {
				t.Fatalf("page %d: %+v", i, p)
			}
			rows, _, _, err := DecodeBilevel(bytes.NewReader(f), p)
			if err != nil {
				t.Fatalf("page %d: %v", i, err)
			}
			if !bytes.Equal(rows, truths[i]) {
				t.Fatalf("%s page %d (%v): %d pixels differ", order, i, p.Kind, diffBits(rows, truths[i], p.Width, p.Height))
			}
			if p.Kind == G4 {
				if got := ccittDecodeRanges(t, f, p); !bytes.Equal(got, truths[i]) {
					t.Fatalf("page %d: G4 passthrough differs", i)
				}
			}
		}
		if pages[0].Kind != G4 || pages[1].Kind != Bilevel {
			t.Fatalf("kinds %v %v", pages[0].Kind, pages[1].Kind)
		}
	}
}

// colourFixture is an 8-bit RGB page with smooth and sharp content.
func colourFixture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) * 7), 255})
		}
	}
	return img
}

func rgbTIFF(img *image.RGBA, extra ...ttag) []byte {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	var data []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := img.RGBAAt(x, y)
			data = append(data, c.R, c.G, c.B)
		}
	}
	tags := append([]ttag{
		long(tImageWidth, uint32(w)), long(tImageLength, uint32(h)),
		short(tBitsPerSample, 8, 8, 8), short(tCompression, 1), short(tPhotometric, 2),
		short(tSamplesPerPixel, 3), long(tRowsPerStrip, uint32(h)),
	}, extra...)
	return writeTIFF(binary.LittleEndian, []tpage{{tags: tags, strips: [][]byte{data}}})
}

func sameImage(t *testing.T, name string, got, want image.Image) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("%s: bounds %v, want %v", name, got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, a1 := got.At(x, y).RGBA()
			r2, g2, b2, a2 := want.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				t.Fatalf("%s: pixel %d,%d is %v, want %v", name, x, y, got.At(x, y), want.At(x, y))
			}
		}
	}
}

func TestTIFFColourDecode(t *testing.T) {
	img := colourFixture(97, 61)
	src := rgbTIFF(img, rational(tXResolution, 11811, 100), rational(tYResolution, 11811, 100), short(tResolutionUnit, 3))
	p := inspectBytes(t, src)[0]
	if p.Kind != Decode || !p.Color || p.ColorSpace != "DeviceRGB" || p.XDPI < 299.9 || p.XDPI > 300.01 {
		t.Fatalf("%+v", p)
	}
	for _, args := range [][]string{{"-c", "none"}, {"-c", "lzw"}, {"-c", "lzw:2", "-B"}, {"-c", "zip:2"}, {"-c", "packbits", "-r", "5"}, {"-c", "zip", "-t", "-w", "32", "-l", "16"}} {
		f := tiffcp(t, args, src)
		p := inspectBytes(t, f)[0]
		if p.Kind != Decode {
			t.Fatalf("%v: kind %v", args, p.Kind)
		}
		got, err := DecodeImage(bytes.NewReader(f), p)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		sameImage(t, strings.Join(args, " "), got, img)
		x, err := xtiff.Decode(bytes.NewReader(f))
		if err != nil {
			t.Fatalf("%v: x/image/tiff: %v", args, err)
		}
		sameImage(t, strings.Join(args, " ")+" vs x/image/tiff", got, x)
	}
	// Second page of a multi-page file (x/image/tiff cannot read it).
	f := tiffcp(t, []string{"-c", "lzw:2"}, rgbTIFF(colourFixture(10, 10)), src)
	pages := inspectBytes(t, f)
	got, err := DecodeImage(bytes.NewReader(f), pages[1])
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, "page 2", got, img)
}

func TestTIFFGrayAndPalette(t *testing.T) {
	w, h := 45, 33
	gray := image.NewGray(image.Rect(0, 0, w, h))
	gray16 := image.NewGray16(gray.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 13)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			gray16.SetGray16(x, y, color.Gray16{uint16(x*1500 + y*7)})
		}
	}
	var g16 []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g16 = binary.LittleEndian.AppendUint16(g16, gray16.Gray16At(x, y).Y)
		}
	}
	base := func(bps uint32, ph uint32) []ttag {
		return []ttag{long(tImageWidth, uint32(w)), long(tImageLength, uint32(h)), short(tBitsPerSample, bps),
			short(tCompression, 1), short(tPhotometric, ph), long(tRowsPerStrip, uint32(h))}
	}
	f8 := writeTIFF(binary.LittleEndian, []tpage{{tags: base(8, 1), strips: [][]byte{gray.Pix}}})
	f16 := writeTIFF(binary.LittleEndian, []tpage{{tags: base(16, 1), strips: [][]byte{g16}}})
	// 4-bit palette.
	var pal4 []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x += 2 {
			pal4 = append(pal4, byte((x+y)%16)<<4|byte((x+1+y)%16))
		}
	}
	var cmap []uint32
	for c := 0; c < 3; c++ {
		for i := 0; i < 16; i++ {
			cmap = append(cmap, uint32(i*4096+c*1000))
		}
	}
	fp := writeTIFF(binary.BigEndian, []tpage{{tags: append(base(4, 3), ttag{tColorMap, 3, cmap}), strips: [][]byte{pal4}}})
	var pal color.Palette
	for i := 0; i < 16; i++ {
		pal = append(pal, color.RGBA64{uint16(i * 4096), uint16(i*4096 + 1000), uint16(i*4096 + 2000), 0xFFFF})
	}
	palImg := image.NewPaletted(gray.Rect, pal)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			palImg.SetColorIndex(x, y, uint8((x+y)%16))
		}
	}
	for _, tc := range []struct {
		name string
		f    []byte
		cs   string
		want image.Image
	}{{"gray8", f8, "DeviceGray", gray}, {"gray16", f16, "DeviceGray", gray16}, {"palette4", fp, "Indexed", palImg}} {
		for _, args := range [][]string{{"-c", "none"}, {"-c", "lzw:2"}, {"-c", "zip", "-B"}} {
			if tc.name == "palette4" && args[1] == "lzw:2" {
				continue // no predictor for 4-bit
			}
			f := tiffcp(t, args, tc.f)
			p := inspectBytes(t, f)[0]
			if p.Kind != Decode || p.ColorSpace != tc.cs {
				t.Fatalf("%s: %+v", tc.name, p)
			}
			got, err := DecodeImage(bytes.NewReader(f), p)
			if err != nil {
				t.Fatalf("%s %v: %v", tc.name, args, err)
			}
			sameImage(t, tc.name+" "+strings.Join(args, " "), got, tc.want)
			if x, err := xtiff.Decode(bytes.NewReader(f)); err == nil {
				sameImage(t, tc.name+" "+strings.Join(args, " ")+" vs x/image/tiff", got, x)
			}
			if tc.cs == "Indexed" && (len(p.Palette) != 48 || !p.Color) {
				t.Fatalf("palette %v", p.Palette)
			}
		}
	}
}

func TestTIFFMetadata(t *testing.T) {
	truth := bilevelTruth(40, 30, 5)
	for _, tc := range []struct {
		tags    []ttag
		x, y    float64
		rotate  int
		problem string
	}{
		{[]ttag{short(tOrientation, 6)}, 300, 300, 90, ""},
		{[]ttag{short(tOrientation, 3)}, 300, 300, 180, ""},
		{[]ttag{short(tOrientation, 8)}, 300, 300, 270, ""},
		{[]ttag{short(tOrientation, 2)}, 300, 300, 0, ""}, // mirrored: see TestOrientations
		{[]ttag{rational(tXResolution, 0, 1), rational(tYResolution, 0, 1)}, 0, 0, 0, "zero DPI"},
		{[]ttag{rational(tXResolution, 10, 1), rational(tYResolution, 10, 1)}, 0, 0, 0, "not plausible"},
		{[]ttag{rational(tXResolution, 400, 1), rational(tYResolution, 200, 1)}, 400, 200, 0, ""},
		{[]ttag{short(tResolutionUnit, 1)}, 0, 0, 0, "no absolute unit"},
		{[]ttag{short(tResolutionUnit, 3), rational(tXResolution, 11811, 100), rational(tYResolution, 11811, 100)}, 299.9994, 299.9994, 0, ""},
		{[]ttag{short(tNewSubfileType, 1)}, 300, 300, 0, "reduced-resolution"},
	} {
		pg := bilevelTIFFPage(40, 30, truth, 0)
		// Tags given here replace the defaults.
		var tags []ttag
		for _, d := range pg.tags {
			replaced := false
			for _, n := range tc.tags {
				replaced = replaced || n.id == d.id
			}
			if !replaced {
				tags = append(tags, d)
			}
		}
		pg.tags = append(tags, tc.tags...)
		p := inspectBytes(t, writeTIFF(binary.LittleEndian, []tpage{pg}))[0]
		if abs(p.XDPI-tc.x) > 0.001 || abs(p.YDPI-tc.y) > 0.001 || p.Rotate != tc.rotate {
			t.Fatalf("%v: dpi %v×%v rotate %d; problems %q", tc.tags, p.XDPI, p.YDPI, p.Rotate, p.Problems)
		}
		if tc.problem != "" && !strings.Contains(strings.Join(p.Problems, "; "), tc.problem) {
			t.Fatalf("%v: problems %q, want %q", tc.tags, p.Problems, tc.problem)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestTIFFErrors(t *testing.T) {
	truth := bilevelTruth(40, 30, 6)
	good := writeTIFF(binary.LittleEndian, []tpage{bilevelTIFFPage(40, 30, truth, 0), bilevelTIFFPage(40, 30, truth, 0)})
	// Loop: the second page's next-IFD pointer points at the first page.
	loop := append([]byte(nil), good...)
	first := binary.LittleEndian.Uint32(loop[4:])
	// find the last IFD's next pointer: the last 4 bytes.
	binary.LittleEndian.PutUint32(loop[len(loop)-4:], first)
	// Truncated: cut inside the first strip.
	trunc := writeTIFF(binary.LittleEndian, []tpage{bilevelTIFFPage(40, 30, truth, 0)})
	// Put the IFD before the data by making the strip offset point past the end.
	bad := append([]byte(nil), trunc...)
	pgs := inspectBytes(t, bad)
	binary.LittleEndian.PutUint32(bad[pgs[0].Strips[0].Off:], 0) // no-op on data, keeps file valid
	big := []byte("II+\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00")
	jpegInTIFF := writeTIFF(binary.LittleEndian, []tpage{{tags: []ttag{long(tImageWidth, 8), long(tImageLength, 8),
		short(tBitsPerSample, 8, 8, 8), short(tCompression, 7), short(tPhotometric, 6), short(tSamplesPerPixel, 3)}, strips: [][]byte{{1, 2, 3}}}})
	three := writeTIFF(binary.BigEndian, []tpage{bilevelTIFFPage(40, 30, truth, 0), bilevelTIFFPage(40, 30, truth, 0),
		{tags: []ttag{long(tImageWidth, 8), long(tImageLength, 8), short(tBitsPerSample, 8, 8, 8), short(tCompression, 7),
			short(tPhotometric, 2), short(tSamplesPerPixel, 3)}, strips: [][]byte{{1, 2, 3}}}})
	for _, tc := range []struct {
		name string
		f    []byte
		want string
	}{
		{"loop", loop, "loops"},
		{"truncated", trunc[:len(trunc)-40], "truncated TIFF"},
		{"strip past end", func() []byte {
			b := writeTIFF(binary.LittleEndian, []tpage{bilevelTIFFPage(40, 30, truth, 0)})
			// Strips are written first, right after the header, so cutting
			// them out leaves the IFD (moved) pointing past the end.
			return append(b[:8:8], b[8+len(truth):]...)
		}(), "TIFF"},
		{"bigtiff", big, "BigTIFF not supported"},
		{"jpeg", jpegInTIFF, "TIFF page 1: block 1 is not a JPEG stream (no SOI marker)"},
		{"page 3", three, "TIFF page 3: block 1 is not a JPEG stream"},
		{"empty", []byte("II*\x00\x00\x00\x00\x00"), "no pages"},
	} {
		err := inspectErr(tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// JPEG-in-TIFF: one strip is the page's JPEG stream (SOI, JPEGTables, the rest of the strip,
// ranges of the file); several strips or tiles are a block each, where they lie; a file whose
// JPEGTables are gone is refused (its streams cannot be decoded).
func TestTIFFJPEG(t *testing.T) {
	src := colourFixture(40, 32)
	for _, tc := range []struct {
		args   []string
		blocks int
	}{{[]string{"-c", "jpeg"}, 0}, {[]string{"-c", "jpeg", "-r", "16"}, 2}, {[]string{"-c", "jpeg", "-t", "-w", "16", "-l", "16"}, 6}} {
		f := tiffcp(t, tc.args, rgbTIFF(src))
		p := inspectBytes(t, f)[0]
		if p.Kind != JPEG || p.Filter != "DCTDecode" || p.ColorSpace != "DeviceRGB" || len(p.Blocks) != tc.blocks || p.DecodeParms["ColorTransform"] != 1 {
			t.Fatalf("%v: %+v", tc.args, p)
		}
		blocks := p.Blocks
		if blocks == nil {
			blocks = []Block{{Ranges: p.Ranges, W: 40, H: 32}}
		}
		covered := image.Rect(0, 0, 0, 0)
		for i, b := range blocks {
			im, err := jpeg.Decode(bytes.NewReader(rangeBytes(f, b.Ranges)))
			if err != nil || im.Bounds().Dx() != b.W || im.Bounds().Dy() != b.H {
				t.Fatalf("%v: block %d (%+v) decodes to %v: %v", tc.args, i+1, b, im.Bounds(), err)
			}
			covered = covered.Union(image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H))
		}
		if !image.Rect(0, 0, 40, 32).In(covered) {
			t.Errorf("%v: the blocks cover %v", tc.args, covered)
		}
		// JPEGTables gone (its tag renamed): refused
		bo := binary.ByteOrder(binary.LittleEndian)
		if string(f[:2]) == "MM" {
			bo = binary.BigEndian
		}
		ifd := bo.Uint32(f[4:])
		for i := range uint32(bo.Uint16(f[ifd:])) {
			if e := ifd + 2 + 12*i; bo.Uint16(f[e:]) == tJPEGTables {
				bo.PutUint16(f[e:], 65000)
			}
		}
		if err := inspectErr(f); err == nil || !strings.Contains(err.Error(), "table 0 is not defined") {
			t.Errorf("%v without JPEGTables: %v", tc.args, err)
		}
	}
}

// A ColorMap is read as its writer meant it (as libtiff does): 8-bit colours ×256 (Pillow) or
// ×257, or written under 256 (old writers), are 8-bit colours; others are 16-bit.
func TestColorMapDepth(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    func(i, c int) uint32 // the ColorMap value of entry i, component c
		want func(i, c int) uint16 // the colour read, 16-bit
	}{
		{"×257", func(i, c int) uint32 { return uint32(i*16+c) * 257 }, func(i, c int) uint16 { return uint16(i*16+c) * 257 }},
		{"×256", func(i, c int) uint32 { return uint32(i*16+c) * 256 }, func(i, c int) uint16 { return uint16(i*16+c) * 257 }},
		{"under 256", func(i, c int) uint32 { return uint32(i*16 + c) }, func(i, c int) uint16 { return uint16(i*16+c) * 257 }},
		{"16-bit", func(i, c int) uint32 { return uint32(i*4096 + c*1000 + 7) }, func(i, c int) uint16 { return uint16(i*4096 + c*1000 + 7) }},
	} {
		var cmap []uint32
		for c := 0; c < 3; c++ {
			for i := 0; i < 16; i++ {
				cmap = append(cmap, tc.v(i, c))
			}
		}
		strip := make([]byte, 4*2) // 8×2 pixels of 4 bits: entries 0 to 15
		for i := range strip {
			strip[i] = byte(2*i)<<4 | byte(2*i+1)
		}
		f := writeTIFF(binary.LittleEndian, []tpage{{tags: []ttag{long(tImageWidth, 8), long(tImageLength, 2), short(tBitsPerSample, 4),
			short(tCompression, 1), short(tPhotometric, 3), short(tSamplesPerPixel, 1), long(tRowsPerStrip, 2),
			rational(tXResolution, 300, 1), rational(tYResolution, 300, 1), ttag{tColorMap, 3, cmap}}, strips: [][]byte{strip}}})
		img, err := DecodeImage(bytes.NewReader(f), inspectBytes(t, f)[0])
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 16; i++ {
			r, g, b, _ := img.At(i%8, i/8).RGBA()
			if got := [3]uint32{r, g, b}; got != [3]uint32{uint32(tc.want(i, 0)), uint32(tc.want(i, 1)), uint32(tc.want(i, 2))} {
				t.Fatalf("%s: entry %d reads %v", tc.name, i, got)
			}
		}
	}
}

// WhiteIsZero gray with associated alpha: the premultiplied sample s of alpha a means black-is-
// zero gray a − s (every pixel here is gray 200 of 255, whatever its alpha).
func TestWhiteIsZeroAssociatedAlpha(t *testing.T) {
	var strip []byte
	for _, a := range []int{64, 128, 200, 255} {
		strip = append(strip, byte(a-200*a/255), byte(a))
	}
	f := writeTIFF(binary.LittleEndian, []tpage{{tags: []ttag{long(tImageWidth, 4), long(tImageLength, 1), short(tBitsPerSample, 8, 8),
		short(tCompression, 1), short(tPhotometric, 0), short(tSamplesPerPixel, 2), long(tRowsPerStrip, 1), short(tExtraSamples, 1),
		rational(tXResolution, 300, 1), rational(tYResolution, 300, 1)}, strips: [][]byte{strip}}})
	img, err := DecodeImage(bytes.NewReader(f), inspectBytes(t, f)[0])
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; x < 4; x++ {
		if g := color.NRGBAModel.Convert(img.At(x, 0)).(color.NRGBA).R; g < 198 || g > 202 {
			t.Errorf("pixel %d: gray %d, want 200", x, g)
		}
	}
}
