package scan

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
)

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// segment builds a JPEG marker segment.
func segment(marker byte, body []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(body)+2))
	return append(s, body...)
}

// withSegments inserts segments right after SOI.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte(nil), jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func jfif(units byte, x, y uint16) []byte {
	b := []byte("JFIF\x00\x01\x02")
	b = append(b, units)
	b = binary.BigEndian.AppendUint16(b, x)
	b = binary.BigEndian.AppendUint16(b, y)
	return segment(0xE0, append(b, 0, 0))
}

// exif builds an APP1 EXIF segment with IFD0 Orientation and resolution.
func exif(bo byteOrder, orientation uint32, xres, unit uint32) []byte {
	var tags []ttag
	if orientation != 0 {
		tags = append(tags, short(tOrientation, orientation))
	}
	if xres != 0 {
		tags = append(tags, rational(tXResolution, xres, 1), rational(tYResolution, xres, 1), short(tResolutionUnit, unit))
	}
	return segment(0xE1, append([]byte("Exif\x00\x00"), writeTIFF(bo, []tpage{{tags: tags}})...))
}

func adobe(transform byte) []byte {
	return segment(0xEE, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, transform})
}

func iccChunk(seq, count byte, data []byte) []byte {
	return segment(0xE2, append(append([]byte("ICC_PROFILE\x00"), seq, count), data...))
}

// synthJPEG builds a structurally valid JPEG (not decodable) with the given
// SOF marker, precision and component IDs, for cases image/jpeg cannot write.
func synthJPEG(sof byte, precision byte, ids string, scans int, pre ...[]byte) []byte {
	b := []byte{0xFF, 0xD8}
	for _, s := range pre {
		b = append(b, s...)
	}
	// quantization table 0, DC and AC Huffman tables 0 (one code each)
	b = append(b, segment(0xDB, make([]byte, 65))...)
	huff := func(class byte) []byte { return append([]byte{class << 4, 1}, append(make([]byte, 15), 0)...) }
	b = append(b, segment(0xC4, append(huff(0), huff(1)...))...)
	body := []byte{precision, 0, 40, 0, 60, byte(len(ids))}
	for i := range ids {
		body = append(body, ids[i], 0x11, 0)
	}
	b = append(b, segment(sof, body)...)
	for i := 0; i < scans; i++ {
		b = append(b, segment(0xDA, []byte{1, ids[0], 0, 0, 63, 0})...)
		b = append(b, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56) // data, a stuffed 0xFF, a restart marker
	}
	return append(b, 0xFF, 0xD9)
}

func TestJPEG(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i)
	}
	rgb := colourFixture(64, 48)
	g, c := encodeJPEG(t, gray), encodeJPEG(t, rgb)
	profile := bytes.Repeat([]byte("icc-profile-bytes-"), 20)
	copy(profile[16:], "RGB ") // an RGB profile's header
	grayProfile := bytes.Clone(profile)
	copy(grayProfile[16:], "GRAY")

	for _, tc := range []struct {
		name          string
		f             []byte
		cs            string
		x, y          float64
		rotate        int
		mirror        bool
		decodeArray   bool
		problem       string
		icc           []byte
		colorTransf0  bool
		width, height int
	}{
		{name: "gray", f: g, cs: "DeviceGray", problem: "no DPI", width: 64, height: 48},
		{name: "rgb", f: c, cs: "DeviceRGB", problem: "no DPI", width: 64, height: 48},
		{name: "jfif dpi", f: withSegments(g, jfif(1, 300, 300)), cs: "DeviceGray", x: 300, y: 300, width: 64, height: 48},
		{name: "jfif dpcm", f: withSegments(g, jfif(2, 118, 118)), cs: "DeviceGray", x: 299.72, y: 299.72, width: 64, height: 48},
		{name: "jfif aspect", f: withSegments(g, jfif(0, 1, 1)), cs: "DeviceGray", problem: "no DPI", width: 64, height: 48},
		{name: "jfif absurd", f: withSegments(g, jfif(1, 10, 10)), cs: "DeviceGray", problem: "not plausible", width: 64, height: 48},
		{name: "jfif zero", f: withSegments(g, jfif(1, 0, 0)), cs: "DeviceGray", problem: "zero DPI", width: 64, height: 48},
		{name: "exif LE", f: withSegments(c, exif(binary.LittleEndian, 6, 200, 2)), cs: "DeviceRGB", x: 200, y: 200, rotate: 90, width: 64, height: 48},
		{name: "exif BE cm", f: withSegments(c, exif(binary.BigEndian, 8, 118, 3)), cs: "DeviceRGB", x: 299.72, y: 299.72, rotate: 270, width: 64, height: 48},
		{name: "exif 3", f: withSegments(c, exif(binary.BigEndian, 3, 0, 0)), cs: "DeviceRGB", rotate: 180, problem: "no DPI", width: 64, height: 48},
		{name: "exif transposed", f: withSegments(c, exif(binary.BigEndian, 5, 0, 0)), cs: "DeviceRGB", rotate: 270, mirror: true, problem: "no DPI", width: 64, height: 48},
		{name: "jfif wins over exif", f: withSegments(c, jfif(1, 300, 300), exif(binary.LittleEndian, 1, 72, 2)), cs: "DeviceRGB", x: 300, y: 300, width: 64, height: 48},
		{name: "icc", f: withSegments(c, iccChunk(2, 2, profile[200:]), iccChunk(1, 2, profile[:200])), cs: "DeviceRGB", icc: profile, problem: "no DPI", width: 64, height: 48},
		{name: "icc of a gray image", f: withSegments(c, iccChunk(1, 2, grayProfile[:200]), iccChunk(2, 2, grayProfile[200:])), cs: "DeviceRGB", problem: `the ICC profile describes "GRAY" colours, the image is DeviceRGB: profile ignored`, width: 64, height: 48},
		{name: "icc incomplete", f: withSegments(c, iccChunk(1, 2, profile[:200])), cs: "DeviceRGB", problem: "ICC profile has 1 of its 2 chunks", width: 64, height: 48},
		{name: "cmyk adobe", f: synthJPEG(0xC0, 8, "CMYK", 1, adobe(0)), cs: "DeviceCMYK", decodeArray: true, width: 60, height: 40},
		{name: "ycck adobe progressive", f: synthJPEG(0xC2, 8, "\x01\x02\x03\x04", 3, adobe(2)), cs: "DeviceCMYK", decodeArray: true, width: 60, height: 40},
		{name: "cmyk no adobe", f: synthJPEG(0xC1, 8, "CMYK", 1), cs: "DeviceCMYK", problem: "without an Adobe APP14", width: 60, height: 40},
		{name: "rgb ids", f: synthJPEG(0xC0, 8, "RGB", 1), cs: "DeviceRGB", colorTransf0: true, width: 60, height: 40},
	} {
		pages := inspectBytes(t, tc.f)
		p := pages[0]
		if len(pages) != 1 || p.Kind != JPEG || p.Filter != "DCTDecode" || p.ColorSpace != tc.cs || p.BitsPerComponent != 8 {
			t.Fatalf("%s: %+v", tc.name, p)
		}
		if p.Width != tc.width || p.Height != tc.height {
			t.Fatalf("%s: %d×%d", tc.name, p.Width, p.Height)
		}
		if len(p.Ranges) != 1 || p.Ranges[0] != (Range{0, int64(len(tc.f))}) {
			t.Fatalf("%s: ranges %v", tc.name, p.Ranges)
		}
		if abs(p.XDPI-tc.x) > 1e-9 || abs(p.YDPI-tc.y) > 1e-9 || p.Rotate != tc.rotate || p.Mirror != tc.mirror {
			t.Fatalf("%s: dpi %v×%v rotate %d mirror %v problems %q", tc.name, p.XDPI, p.YDPI, p.Rotate, p.Mirror, p.Problems)
		}
		if (p.DecodeArray != nil) != tc.decodeArray || (tc.decodeArray && len(p.DecodeArray) != 8) {
			t.Fatalf("%s: decode array %v", tc.name, p.DecodeArray)
		}
		if tc.problem != "" && !strings.Contains(strings.Join(p.Problems, "; "), tc.problem) {
			t.Fatalf("%s: problems %q, want %q", tc.name, p.Problems, tc.problem)
		}
		if !bytes.Equal(p.ICC, tc.icc) {
			t.Fatalf("%s: ICC %d bytes", tc.name, len(p.ICC))
		}
		if got := p.DecodeParms["ColorTransform"]; (got == 0) != tc.colorTransf0 {
			t.Fatalf("%s: DecodeParms %v", tc.name, p.DecodeParms)
		}
		if p.Color != (tc.cs != "DeviceGray") || p.Bilevel {
			t.Fatalf("%s: colour %v bilevel %v", tc.name, p.Color, p.Bilevel)
		}
	}
	// DecodeImage gives what image/jpeg gives.
	f := withSegments(c, jfif(1, 300, 300))
	p := inspectBytes(t, f)[0]
	img, err := DecodeImage(bytes.NewReader(f), p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := jpeg.Decode(bytes.NewReader(f))
	sameImage(t, "jpeg decode", img, want)
	_ = color.Gray{}
}

func TestJPEGErrors(t *testing.T) {
	c := encodeJPEG(t, colourFixture(64, 48))
	sos := bytes.Index(c, []byte{0xFF, 0xDA})
	for _, tc := range []struct {
		name string
		f    []byte
		want string
	}{
		{"no SOS", c[:sos], "truncated JPEG: no SOS marker"},
		{"in segment", c[:sos-5], "ends past the end of the file"},
		{"no EOI", c[:len(c)-2], "truncated JPEG: no EOI marker"},
		{"in scan", c[:sos+100], "truncated JPEG: no EOI marker"},
		{"lossless", synthJPEG(0xC3, 8, "\x01", 1), "lossless coding (SOF3) cannot be embedded"},
		{"arithmetic", synthJPEG(0xC9, 8, "\x01", 1), "arithmetic-coded sequential"},
		{"hierarchical", synthJPEG(0xC5, 8, "\x01", 1), "hierarchical"},
		{"12-bit", synthJPEG(0xC1, 12, "\x01", 1), "12-bit precision is not supported"},
		{"2 components", synthJPEG(0xC0, 8, "\x01\x02", 1), "2 colour components"},
		{"only SOI", []byte{0xFF, 0xD8}, "truncated JPEG: no SOS marker"},
		{"EOI first", []byte{0xFF, 0xD8, 0xFF, 0xD9}, "no SOS marker"},
	} {
		err := inspectErr(tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// Bytes after EOI are left out of the range, with a note.
	f := append(append([]byte(nil), c...), "trailing"...)
	p := inspectBytes(t, f)[0]
	if p.Ranges[0].Len != int64(len(c)) || !strings.Contains(strings.Join(p.Problems, ";"), "after the JPEG end marker") {
		t.Fatalf("%v %q", p.Ranges, p.Problems)
	}
}

// Every EXIF/TIFF Orientation is a turn, mirrored or not: 2, 4, 5, 7 mirror left to right
// before turning (they were ignored with a note).
func TestOrientations(t *testing.T) {
	want := map[int][2]int{1: {0, 0}, 2: {0, 1}, 3: {180, 0}, 4: {180, 1}, 5: {270, 1}, 6: {90, 0}, 7: {90, 1}, 8: {270, 0}}
	for o, w := range want {
		var p Page
		p.setOrientation(o, "EXIF")
		if p.Rotate != w[0] || p.Mirror != (w[1] == 1) || len(p.Problems) != 0 {
			t.Errorf("Orientation %d: rotate %d mirror %v %q", o, p.Rotate, p.Mirror, p.Problems)
		}
	}
}
