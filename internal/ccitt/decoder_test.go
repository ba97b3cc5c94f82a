package ccitt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	xccitt "golang.org/x/image/ccitt"
)

// decodeStream decodes with a streaming Decoder over r, returning the rows
// read before io.EOF.
func decodeStream(r io.Reader, w, h int) ([]byte, error) {
	d := NewDecoder(r, w, h)
	stride := (w + 7) / 8
	var out []byte
	row := make([]byte, stride)
	for {
		err := d.ReadRow(row)
		if err == io.EOF {
			if d.Rows()*stride != len(out) {
				return nil, fmt.Errorf("Rows() = %d, decoded %d", d.Rows(), len(out)/stride)
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, row...)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, ti := range testImages(testing.Short()) {
		t.Run(ti.name, func(t *testing.T) {
			b := ti.b
			data := encode(t, b)
			got, err := Decode(data, b.w, b.h)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if d := diffPixels(b.pix, got, b.w, b.h); d != "" {
				t.Fatal(d)
			}
			// Streaming, through an io.Reader that returns one byte at a
			// time (small images) or the whole buffer.
			var r io.Reader = bytes.NewReader(data)
			if len(data) < 1<<16 {
				r = iotest.OneByteReader(r)
			}
			got, err = decodeStream(r, b.w, b.h)
			if err != nil {
				t.Fatalf("streaming: %v", err)
			}
			if d := diffPixels(b.pix, got, b.w, b.h); d != "" {
				t.Fatal("streaming:", d)
			}
			// Unknown height: must stop at EOFB after b.h rows.
			got, err = decodeStream(bytes.NewReader(data), b.w, -1)
			if err != nil {
				t.Fatalf("unknown height: %v", err)
			}
			if d := diffPixels(b.pix, got, b.w, b.h); d != "" {
				t.Fatal("unknown height:", d)
			}
		})
	}
}

// compareX decodes data with both decoders and requires identical results:
// both fail, or both succeed with the same pixels. The one intentional
// difference: an EOFB before h rows ends our image early, while x/image
// reports an error.
func compareX(t *testing.T, data []byte, w, h int) (ok bool) {
	t.Helper()
	ours, oerr := Decode(data, w, h)
	theirs, xerr := decodeX(data, w, h, true)
	stride := (w + 7) / 8
	switch {
	case oerr == nil && xerr == nil:
		if d := diffPixels(theirs, ours, w, h); d != "" {
			t.Fatalf("%dx%d %x: differs from x/image: %s", w, h, data, d)
		}
		return true
	case xerr == nil:
		t.Fatalf("%dx%d %x: x/image decodes, we fail: %v", w, h, data, oerr)
	case oerr == nil && len(ours) == h*stride:
		t.Fatalf("%dx%d %x: we decode, x/image fails: %v", w, h, data, xerr)
	}
	return oerr == nil
}

func TestDecodeDifferential(t *testing.T) {
	for _, ti := range testImages(true) {
		t.Run(ti.name, func(t *testing.T) {
			compareX(t, encode(t, ti.b), ti.b.w, ti.b.h)
		})
	}
	r := rand.New(rand.NewPCG(1, 2))
	n := 400
	if testing.Short() {
		n = 100
	}
	var agree, fail int
	for i := 0; i < n; i++ {
		w, h := 1+r.IntN(300), 1+r.IntN(40)
		var b *bitmap
		switch r.IntN(4) {
		case 0:
			b = sparseNoise(w, h, r.Float64(), r.Uint64())
		case 1:
			b = rectPage(w, h, r.IntN(50), r.Uint64())
		case 2:
			b = noise(w, h, r.Uint64())
		default:
			w = 1 + r.IntN(8000)
			b = longRuns(w, h)
		}
		data := encode(t, b)
		if !compareX(t, data, b.w, b.h) {
			t.Fatalf("valid stream rejected")
		}
		// Damaged copies: bit flips, truncation, wrong width or height.
		for j := 0; j < 10; j++ {
			bad := bytes.Clone(data)
			bw, bh := b.w, b.h
			switch r.IntN(4) {
			case 0:
				for k := 0; k <= r.IntN(3); k++ {
					p := r.IntN(8 * len(bad))
					bad[p/8] ^= 0x80 >> uint(p%8)
				}
			case 1:
				bad = bad[:r.IntN(len(bad)+1)]
			case 2:
				bw = max(1, bw+r.IntN(7)-3)
			default:
				bh = max(0, bh+r.IntN(5)-2)
			}
			if compareX(t, bad, bw, bh) {
				agree++
			} else {
				fail++
			}
		}
	}
	t.Logf("damaged streams: %d decoded by both, %d rejected", agree, fail)
}

// TestDecodeEOFB covers the end of the stream.
func TestDecodeEOFB(t *testing.T) {
	b := noise(37, 5, 5)
	data := encode(t, b)
	stride := b.stride

	// A taller expected height: EOFB ends the image early.
	got, err := Decode(data, b.w, 9)
	if err != nil || !bytes.Equal(got, mustClear(b)) {
		t.Fatalf("early EOFB: %v, %d bytes", err, len(got))
	}
	// Truncated EOFB, or none: accepted after the last row.
	trimmed := encodeNoEOFB(t, b)
	for _, tail := range [][]byte{nil, {0x00}, {0xFF}} {
		in := append(bytes.Clone(trimmed), tail...)
		got, err := Decode(in, b.w, b.h)
		if err != nil || !bytes.Equal(got, mustClear(b)) {
			t.Errorf("tail %x: %v", tail, err)
		}
		compareX(t, in, b.w, b.h)
	}
	// EOL followed by garbage after the last row: error, as in x/image.
	bad := encodeTrailer(t, b, code{0x001, 12}, code{0x0FF, 12})
	if _, err := Decode(bad, b.w, b.h); err != ErrMissingEOFB {
		t.Errorf("bad EOFB: %v", err)
	}
	compareX(t, bad, b.w, b.h)
	// Fewer rows expected: the decoder stops after them.
	got, err = Decode(data, b.w, 2)
	if err != nil || !bytes.Equal(got, mustClear(b)[:2*stride]) {
		t.Errorf("height 2: %v", err)
	}
	// Empty image.
	var buf bytes.Buffer
	if err := Encode(&buf, nil, 100, 0); err != nil {
		t.Fatal(err)
	}
	for _, h := range []int{0, 1, 10} {
		got, err := Decode(buf.Bytes(), 100, h)
		if err != nil || len(got) != 0 {
			t.Errorf("empty image, h=%d: %v, %d bytes", h, err, len(got))
		}
	}
	if got, err := Decode(nil, 100, 0); err != nil || len(got) != 0 {
		t.Errorf("no data, h=0: %v", err)
	}
}

func mustClear(b *bitmap) []byte {
	p := bytes.Clone(b.pix)
	clearPadding(p, b.w, b.h)
	return p
}

// encodeNoEOFB returns the rows of b encoded without the EOFB.
func encodeNoEOFB(t *testing.T, b *bitmap) []byte { return encodeTrailer(t, b) }

// encodeTrailer returns the rows of b encoded and followed by the codes
// trailer instead of EOFB, padded to a byte.
func encodeTrailer(t *testing.T, b *bitmap, trailer ...code) []byte {
	var buf bytes.Buffer
	e := NewEncoder(&buf, b.w)
	for y := 0; y < b.h; y++ {
		if err := e.WriteRow(b.pix[y*b.stride : (y+1)*b.stride]); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range trailer {
		e.bw.put(c)
	}
	e.bw.pad()
	if err := e.flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeErrors(t *testing.T) {
	for _, w := range []int{0, -1, MaxWidth + 1} {
		if _, err := Decode(nil, w, 1); err != ErrWidth {
			t.Errorf("width %d: %v", w, err)
		}
		if err := NewDecoder(bytes.NewReader(nil), w, 1).ReadRow(nil); err != ErrWidth {
			t.Errorf("width %d ReadRow: %v", w, err)
		}
	}
	if _, err := Decode(nil, 8, -1); err != ErrHeight {
		t.Errorf("negative height: %v", err)
	}
	d := NewDecoder(bytes.NewReader(nil), 9, 1)
	if err := d.ReadRow(make([]byte, 1)); err != ErrRowLength {
		t.Errorf("short row: %v", err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		w    int
		want error
	}{
		{"no data", nil, 8, io.ErrUnexpectedEOF},
		{"invalid mode", []byte{0x00, 0x00, 0x00}, 8, ErrInvalidCode},
		{"extension", []byte{0x02, 0x00}, 8, ErrUnsupportedMode},
		// VR1 on the first row: a1 = b1 + 1 = width + 1.
		{"VR1", []byte{0x60}, 8, ErrInvalidPosition},
		// H, white 10 (00111), black 0: run past width 8.
		{"run too long", []byte{0b00100111, 0b00001101, 0b11000000}, 8, ErrInvalidPosition},
		// H, white run 64 (11011) then an invalid code.
		{"bad run code", []byte{0b00111011, 0x00, 0x00}, 100, ErrInvalidCode},
		// H, truncated run.
		{"truncated run", []byte{0b00100000}, 100, io.ErrUnexpectedEOF},
	} {
		_, err := Decode(tc.data, tc.w, 1)
		if err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		compareX(t, tc.data, tc.w, 1)
	}
	// A read error is reported, and errors are sticky.
	b := noise(2000, 50, 1)
	data := encode(t, b)
	boom := errors.New("boom")
	d = NewDecoder(io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(boom)), b.w, b.h)
	row := make([]byte, b.stride)
	var err error
	for err == nil {
		err = d.ReadRow(row)
	}
	if err != boom || d.ReadRow(row) != boom {
		t.Errorf("read error: %v", err)
	}
}

// readTIFFStrips returns the first image's width, height, RowsPerStrip and
// strips (MSB fill order) of a TIFF written by tiffcp.
func readTIFFStrips(path string) (w, h, rps int, strips [][]byte, err error) {
	f, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	if len(f) < 8 || string(f[:2]) != "II" && string(f[:2]) != "MM" {
		return 0, 0, 0, nil, fmt.Errorf("not a TIFF")
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if f[0] == 'M' {
		bo = binary.BigEndian
	}
	ifd := bo.Uint32(f[4:])
	tags := map[uint16][]uint32{}
	for i := 0; i < int(bo.Uint16(f[ifd:])); i++ {
		e := ifd + 2 + uint32(12*i)
		tag, typ, count := bo.Uint16(f[e:]), bo.Uint16(f[e+2:]), bo.Uint32(f[e+4:])
		size := map[uint16]uint32{3: 2, 4: 4}[typ]
		if size == 0 {
			continue
		}
		p := f[e+8:]
		if size*count > 4 {
			p = f[bo.Uint32(p):]
		}
		for j := uint32(0); j < count; j++ {
			if size == 2 {
				tags[tag] = append(tags[tag], uint32(bo.Uint16(p[2*j:])))
			} else {
				tags[tag] = append(tags[tag], bo.Uint32(p[4*j:]))
			}
		}
	}
	if c := tags[259]; len(c) != 1 || c[0] != compressionG4 {
		return 0, 0, 0, nil, fmt.Errorf("compression %v", c)
	}
	offs, counts := tags[273], tags[279]
	if len(offs) != len(counts) {
		return 0, 0, 0, nil, fmt.Errorf("bad strip tags")
	}
	for i := range offs {
		s := bytes.Clone(f[offs[i] : offs[i]+counts[i]])
		if fo := tags[266]; len(fo) == 1 && fo[0] == 2 {
			for j, c := range s {
				s[j] = bits.Reverse8(c)
			}
		}
		strips = append(strips, s)
	}
	w, h, rps = int(tags[256][0]), int(tags[257][0]), int(tags[257][0])
	if r := tags[278]; len(r) == 1 {
		rps = int(r[0])
	}
	return w, h, rps, strips, nil
}

// TestDecodeLibtiff decodes libtiff's Group 4 output (tiffcp -c g4), as one
// strip and as many strips of 64 rows.
func TestDecodeLibtiff(t *testing.T) {
	tiffcp := needTiffcp(t)
	dir := t.TempDir()
	for i, ti := range libtiffImages(t) {
		for _, rps := range []int{ti.b.h, 64} {
			t.Run(fmt.Sprintf("%s/rps%d", ti.name, rps), func(t *testing.T) {
				b := ti.b
				in := filepath.Join(dir, fmt.Sprintf("raw-%d.tif", i))
				out := filepath.Join(dir, fmt.Sprintf("g4-%d-%d.tif", i, rps))
				if err := writeTIFF(in, b.w, b.h, compressionNone, b.garbagePadding().pix); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(tiffcp, "-c", "g4", "-r", fmt.Sprint(rps), in, out)
				if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
					t.Fatalf("tiffcp -c g4: %v: %s", err, msg)
				}
				w, h, r, strips, err := readTIFFStrips(out)
				if err != nil {
					t.Fatal(err)
				}
				if w != b.w || h != b.h || r != rps || len(strips) != (h+r-1)/r {
					t.Fatalf("libtiff wrote %dx%d, %d rows per strip, %d strips", w, h, r, len(strips))
				}
				var pix []byte
				for s, strip := range strips {
					sh := min(r, h-s*r)
					got, err := Decode(strip, w, sh)
					if err != nil {
						t.Fatalf("strip %d: %v", s, err)
					}
					if len(got) != sh*b.stride {
						t.Fatalf("strip %d: %d rows, want %d", s, len(got)/b.stride, sh)
					}
					pix = append(pix, got...)
				}
				if d := diffPixels(b.pix, pix, w, h); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range []*bitmap{
		noise(13, 3, 1), sparseNoise(70, 5, 0.1, 2), longRuns(3000, 2),
		textPage(300, 40, 1), allWhite(8, 1), checkerboard(9, 4),
	} {
		f.Add(encode(f, b), uint16(b.w), uint8(b.h))
	}
	f.Add([]byte{}, uint16(8), uint8(1))
	f.Add([]byte{0x00, 0x10, 0x01}, uint16(100), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, w16 uint16, h8 uint8) {
		w, h := int(w16)%5000, int(h8)
		ours, oerr := Decode(data, w, h)
		if w == 0 {
			if oerr != ErrWidth {
				t.Fatalf("width 0: %v", oerr)
			}
			return
		}
		if oerr == nil && (len(ours)%((w+7)/8) != 0 || len(ours) > h*((w+7)/8)) {
			t.Fatalf("bad output length %d", len(ours))
		}
		// The streaming decoder, fed a byte at a time, agrees with Decode.
		st, serr := decodeStream(iotest.OneByteReader(bytes.NewReader(data)), w, h)
		if (serr == nil) != (oerr == nil) || !bytes.Equal(st, ours) {
			t.Fatalf("streaming: %v, Decode: %v", serr, oerr)
		}
		compareX(t, data, w, h)
	})
}

func benchPage(b *testing.B) (*bitmap, []byte) {
	img := textPage(2480, 3508, 1)
	var buf bytes.Buffer
	if err := Encode(&buf, img.pix, img.w, img.h); err != nil {
		b.Fatal(err)
	}
	return img, buf.Bytes()
}

func BenchmarkDecode(b *testing.B) {
	img, data := benchPage(b)
	b.SetBytes(int64(len(img.pix)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, img.w, img.h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

func BenchmarkDecodeStream(b *testing.B) {
	img, data := benchPage(b)
	row := make([]byte, img.stride)
	b.SetBytes(int64(len(img.pix)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data), img.w, img.h)
		for {
			err := d.ReadRow(row)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

func BenchmarkDecodeXImage(b *testing.B) {
	img, data := benchPage(b)
	out := make([]byte, len(img.pix))
	b.SetBytes(int64(len(img.pix)))
	b.ReportAllocs()
	for b.Loop() {
		r := xccitt.NewReader(bytes.NewReader(data), xccitt.MSB, xccitt.Group4, img.w, img.h, &xccitt.Options{Invert: true})
		if _, err := io.ReadFull(r, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// FuzzDecodeT4: any input gives rows of the width, at most height of them, or an error; never
// a panic or unbounded work.
func FuzzDecodeT4(f *testing.F) {
	// one all-white row of 8 pixels: EOL, then the white run of 8 (10011), 1-D and tagged 2-D
	f.Add([]byte{0x00, 0x19, 0x80}, uint16(8), uint8(1), uint8(0))
	f.Add([]byte{0x00, 0x1C, 0xC0, 0x05}, uint16(8), uint8(2), uint8(1))
	f.Add([]byte{0x98, 0x98}, uint16(8), uint8(2), uint8(2)) // modified Huffman rows, byte-aligned
	f.Add(encode(f, textPage(300, 40, 1)), uint16(300), uint8(40), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, w16 uint16, h8 uint8, mode uint8) {
		w, h := 1+int(w16)%5000, int(h8)
		out, err := DecodeT4(data, w, h, T4{TwoD: mode&1 != 0, RLE: mode&2 != 0})
		if err == nil && (len(out)%((w+7)/8) != 0 || len(out) > h*((w+7)/8)) {
			t.Fatalf("bad output length %d for %d rows of %d", len(out), h, w)
		}
	})
}

// DecodeT4 reads the three codings of white rows alike: modified Huffman rows with EOLs (1-D),
// the same tagged and followed by a 2-D row, and byte-aligned rows without EOLs (RLE).
func TestDecodeT4Seeds(t *testing.T) {
	for _, c := range []struct {
		data []byte
		rows int
		t4   T4
	}{
		{[]byte{0x00, 0x19, 0x80}, 1, T4{}},                 // EOL, white 8
		{[]byte{0x00, 0x1C, 0xC0}, 1, T4{TwoD: true}},       // EOL, tag 1 (1-D), white 8
		{[]byte{0x00, 0x1C, 0xC0, 0x05}, 2, T4{TwoD: true}}, // … EOL, tag 0 (2-D), V0
		{[]byte{0x98, 0x98}, 2, T4{RLE: true}},              // white 8, white 8
		{[]byte{0x00, 0x01, 0x98}, 1, T4{}},                 // fill bits before the EOL
	} {
		out, err := DecodeT4(c.data, 8, c.rows, c.t4)
		if err != nil || !bytes.Equal(out, make([]byte, c.rows)) {
			t.Errorf("% x %+v: %x %v, want %d white rows", c.data, c.t4, out, err, c.rows)
		}
	}
	// a return to control (EOL EOL) ends the page early: the rows so far
	if out, err := DecodeT4([]byte{0x00, 0x19, 0x80, 0x08, 0x00, 0x80}, 8, 3, T4{}); err != nil || len(out) != 1 {
		t.Errorf("RTC after one row of three: %d rows, %v", len(out), err)
	}
	// a damaged row is named
	if _, err := DecodeT4([]byte{0x00, 0x19, 0x80, 0x08, 0x08, 0x00}, 8, 2, T4{}); err == nil || !strings.HasPrefix(err.Error(), "row 2: ") {
		t.Errorf("a bad second row: %v, want an error naming row 2", err)
	}
}
