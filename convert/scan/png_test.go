package scan

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func chunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// withChunks inserts chunks right after IHDR.
func withChunks(p []byte, chunks ...[]byte) []byte {
	out := append([]byte(nil), p[:8+25]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[8+25:]...)
}

func phys(x, y uint32, unit byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, x)
	b = binary.BigEndian.AppendUint32(b, y)
	return chunk("pHYs", append(b, unit))
}

func iccp(profile []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(profile)
	w.Close()
	return chunk("iCCP", append([]byte("sRGB\x00\x00"), z.Bytes()...))
}

// rebuildPNG makes a PNG from a page's IHDR, PLTE and its IDAT Ranges
// concatenated into one chunk: what a PDF /FlateDecode /Predictor 15 stream
// holds. image/png decoding it proves the Ranges are the whole image data.
func rebuildPNG(src []byte, p Page) []byte {
	out := append([]byte(nil), src[:8+25]...)
	if p.Palette != nil {
		out = append(out, chunk("PLTE", p.Palette)...)
	}
	out = append(out, chunk("IDAT", rangeBytes(src, p.Ranges))...)
	return append(out, chunk("IEND", nil)...)
}

func TestPNG(t *testing.T) {
	rgb := colourFixture(300, 200)
	for i := range rgb.Pix { // noise: large enough for several IDAT chunks
		if i%4 != 3 {
			rgb.Pix[i] ^= uint8(i * 2654435761 >> 13)
		}
	}
	gray := image.NewGray(image.Rect(0, 0, 50, 40))
	gray16 := image.NewGray16(gray.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 3)
	}
	for y := 0; y < 40; y++ {
		for x := 0; x < 50; x++ {
			gray16.SetGray16(x, y, color.Gray16{uint16(x*1200 + y)})
		}
	}
	pal := image.NewPaletted(gray.Rect, color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{0, 255, 0, 255}})
	bw := image.NewPaletted(gray.Rect, color.Palette{color.Black, color.White})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
		bw.Pix[i] = uint8(i / 7 % 2)
	}
	alpha := image.NewNRGBA(gray.Rect)
	for i := range alpha.Pix {
		alpha.Pix[i] = uint8(i)
	}
	palTRNS := image.NewPaletted(gray.Rect, color.Palette{color.RGBA{0, 0, 0, 0}, color.RGBA{255, 255, 255, 255}})
	// an RGB profile's header (data colour space at 16–19), a GRAY one's
	profile := bytes.Repeat([]byte("profile!"), 40)
	copy(profile[16:], "RGB ")
	grayProfile := slices.Clone(profile)
	copy(grayProfile[16:], "GRAY")

	for _, tc := range []struct {
		name    string
		img     image.Image
		chunks  [][]byte
		kind    Kind
		cs      string
		colors  int
		bpc     int
		dpi     float64
		problem string
		color   bool
		bilevel bool
		icc     []byte
	}{
		{name: "rgb", img: rgb, kind: PNGFlate, cs: "DeviceRGB", colors: 3, bpc: 8, problem: "no DPI", color: true},
		{name: "gray pHYs", img: gray, chunks: [][]byte{phys(11811, 11811, 1)}, kind: PNGFlate, cs: "DeviceGray", colors: 1, bpc: 8, dpi: 299.9994},
		{name: "gray aspect", img: gray, chunks: [][]byte{phys(1, 1, 0)}, kind: PNGFlate, cs: "DeviceGray", colors: 1, bpc: 8, problem: "aspect ratio"},
		{name: "gray absurd", img: gray, chunks: [][]byte{phys(100, 100, 1)}, kind: PNGFlate, cs: "DeviceGray", colors: 1, bpc: 8, problem: "not plausible"},
		{name: "gray16", img: gray16, kind: PNGFlate, cs: "DeviceGray", colors: 1, bpc: 16, problem: "16-bit: PDF/A-1 needs a re-encode"},
		{name: "palette iCCP", img: pal, chunks: [][]byte{iccp(profile)}, kind: PNGFlate, cs: "Indexed", colors: 1, bpc: 2, color: true, icc: profile},
		{name: "gray iCCP", img: gray, chunks: [][]byte{iccp(grayProfile)}, kind: PNGFlate, cs: "DeviceGray", colors: 1, bpc: 8, problem: "no DPI", icc: grayProfile},
		{name: "gray gAMA 1.0", img: gray, chunks: [][]byte{chunk("gAMA", []byte{0, 1, 0x86, 0xA0})}, kind: PNGFlate, cs: "DeviceGray", colors: 1, bpc: 8, problem: "encoding gamma of 1, not sRGB's"},
		{name: "gray, RGB iCCP", img: gray, chunks: [][]byte{iccp(profile)}, kind: PNGFlate, cs: "DeviceGray", colors: 1, bpc: 8, problem: `the ICC profile describes "RGB" colours, the image is DeviceGray: profile ignored`},
		{name: "palette, GRAY iCCP", img: pal, chunks: [][]byte{iccp(grayProfile)}, kind: PNGFlate, cs: "Indexed", colors: 1, bpc: 2, color: true, problem: "profile ignored"},
		{name: "black and white", img: bw, kind: PNGFlate, cs: "Indexed", colors: 1, bpc: 1, bilevel: true},
		{name: "alpha", img: alpha, kind: Decode, cs: "DeviceRGB", bpc: 8, problem: "alpha channel", color: true},
		{name: "palette tRNS", img: palTRNS, kind: Decode, cs: "Indexed", bpc: 1, problem: "tRNS", bilevel: true},
	} {
		src := withChunks(encodePNG(t, tc.img), tc.chunks...)
		pages := inspectBytes(t, src)
		p := pages[0]
		if len(pages) != 1 || p.Kind != tc.kind || p.ColorSpace != tc.cs || p.BitsPerComponent != tc.bpc || p.Color != tc.color || p.Bilevel != tc.bilevel {
			t.Fatalf("%s: %+v", tc.name, p)
		}
		if abs(p.XDPI-tc.dpi) > 1e-9 || abs(p.YDPI-tc.dpi) > 1e-9 {
			t.Fatalf("%s: dpi %v %v", tc.name, p.XDPI, p.YDPI)
		}
		if tc.problem != "" && !strings.Contains(strings.Join(p.Problems, "; "), tc.problem) {
			t.Fatalf("%s: problems %q, want %q", tc.name, p.Problems, tc.problem)
		}
		if !bytes.Equal(p.ICC, tc.icc) {
			t.Fatalf("%s: ICC %d bytes", tc.name, len(p.ICC))
		}
		if tc.kind == PNGFlate {
			dp := p.DecodeParms
			if p.Filter != "FlateDecode" || dp["Predictor"] != 15 || dp["Colors"] != tc.colors || dp["BitsPerComponent"] != tc.bpc || dp["Columns"] != p.Width {
				t.Fatalf("%s: %v %v", tc.name, p.Filter, dp)
			}
			if tc.name == "rgb" && len(p.Ranges) < 2 {
				t.Fatalf("rgb: want several IDAT chunks, got %d", len(p.Ranges))
			}
			got, err := png.Decode(bytes.NewReader(rebuildPNG(src, p)))
			if err != nil {
				t.Fatalf("%s: the IDAT ranges do not decode: %v", tc.name, err)
			}
			sameImage(t, tc.name+" ranges", got, tc.img)
		} else if p.Ranges != nil || p.Filter != "" {
			t.Fatalf("%s: decode page with ranges", tc.name)
		}
		img, err := DecodeImage(bytes.NewReader(src), p)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, tc.name+" DecodeImage", img, tc.img)
	}

	// Interlaced: IHDR patched (the data is not decodable, Inspect does not care).
	src := encodePNG(t, gray)
	ihdr := append([]byte(nil), src[16:29]...)
	ihdr[12] = 1
	inter := append(append(append([]byte(nil), src[:8]...), chunk("IHDR", ihdr)...), src[33:]...)
	if p := inspectBytes(t, inter)[0]; p.Kind != Decode || !strings.Contains(strings.Join(p.Problems, ";"), "interlaced") {
		t.Fatalf("interlaced: %+v", p)
	}
}

func TestPNGErrors(t *testing.T) {
	src := encodePNG(t, colourFixture(40, 30))
	badCRC := append([]byte(nil), src...)
	badCRC[29] ^= 1
	badData := append([]byte(nil), src...)
	badData[len(src)-20] ^= 1
	for _, tc := range []struct {
		name string
		f    []byte
		want string
	}{
		{"crc", badCRC, "PNG: bad CRC in IHDR"},
		{"idat crc", badData, "PNG: bad CRC in IDAT"},
		{"no IEND", src[:len(src)-12], "truncated PNG: no IEND chunk"},
		{"cut", src[:len(src)-30], "truncated PNG"},
		{"signature only", src[:8], "truncated PNG: no IHDR"},
		{"text mode", append([]byte("\x89PNG\n\x1a\n"), src[8:]...), "damaged signature"},
		{"unknown critical", withChunks(src, chunk("ABCD", []byte{1})), "unknown critical chunk ABCD"},
		{"not an image", []byte("%PDF-1.4"), "not a JPEG, PNG or TIFF"},
		{"empty", nil, "empty file"},
	} {
		err := inspectErr(tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// Unknown ancillary chunks are fine.
	inspectBytes(t, withChunks(src, chunk("abCd", []byte{1})))
}
