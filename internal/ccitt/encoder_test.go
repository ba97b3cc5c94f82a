package ccitt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	xccitt "golang.org/x/image/ccitt"
)

type testImage struct {
	name string
	b    *bitmap
}

// testImages is the round-trip corpus shared by the x/image and libtiff tests.
func testImages(short bool) []testImage {
	var imgs []testImage
	add := func(name string, b *bitmap) {
		imgs = append(imgs, testImage{fmt.Sprintf("%s/%dx%d", name, b.w, b.h), b})
	}
	for _, w := range []int{1, 2, 3, 7, 8, 9, 63, 64, 65, 127, 128, 129, 1728, 2480, 2481} {
		h := 13
		add("white", allWhite(w, h))
		add("black", allBlack(w, h))
		add("checker", checkerboard(w, h))
		add("noise", noise(w, 40, uint64(w)))
		add("noise-h1", noise(w, 1, uint64(w)+1))
		add("sparse5", sparseNoise(w, 30, 0.05, uint64(w)))
		add("sparse50", sparseNoise(w, 30, 0.5, uint64(w)))
		add("dense95", sparseNoise(w, 30, 0.95, uint64(w)))
		add("stripes1", verticalStripes(w, 5, 1))
		add("stripes3", verticalStripes(w, 5, 3))
		add("stripes17", verticalStripes(w, 5, 17))
		add("white-h1", allWhite(w, 1))
		add("black-h1", allBlack(w, 1))
	}
	add("longruns", longRuns(10000, 40))
	add("longruns-wide", longRuns(70001, 6))
	add("black-wide", allBlack(10000, 3))
	add("white-wide", allWhite(10000, 3))
	add("rects", rectPage(1728, 2200, 3000, 1))
	add("text-a4", textPage(2480, 3508, 1))
	add("text-odd", textPage(2481, 700, 2))
	if !short {
		add("noise-tall", noise(1728, 4000, 99))
		add("white-tall", allWhite(2480, 20000))
		add("rects-tall", rectPage(2480, 14032, 20000, 2))
	}
	return imgs
}

func TestRoundTripXImage(t *testing.T) {
	for _, ti := range testImages(testing.Short()) {
		t.Run(ti.name, func(t *testing.T) {
			b := ti.b
			data := encode(t, b)
			got, err := decodeX(data, b.w, b.h, true)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d := diffPixels(b.pix, got, b.w, b.h); d != "" {
				t.Fatal(d)
			}
			// Garbage in the padding bits must not change the stream.
			if b.w%8 != 0 {
				if g := encode(t, b.garbagePadding()); !bytes.Equal(g, data) {
					t.Fatal("padding bits changed the output")
				}
			}
		})
	}
}

// TestPolarity pins the convention: input 1 = black. x/image/ccitt's default
// (Invert false) emits 0 for black, like a PDF decoder with /BlackIs1 false.
func TestPolarity(t *testing.T) {
	b := newBitmap(16, 1)
	b.fillRect(0, 0, 4, 1) // 4 black pixels then 12 white
	data := encode(t, b)
	// Horizontal mode: 001, white run 0 = 00110101, black run 4 = 011
	// (a0 is now 4), then V0 (1) for a1 = b1 = end of line, then EOFB
	// (000000000001...). Hence 001 00110101 011 1 0...
	want := []byte{0b00100110, 0b10101110}
	if !bytes.HasPrefix(data, want) {
		t.Fatalf("stream %08b, want prefix %08b", data, want)
	}
	got, err := decodeX(data, 16, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 0x0F || got[1] != 0xFF {
		t.Fatalf("Invert=false decoded %08b, want black as 0", got)
	}
}

func TestEOFB(t *testing.T) {
	for _, h := range []int{0, 1, 5} {
		b := noise(37, h, 5)
		data := encode(t, b)
		// Decoding without a known height must stop at EOFB after h rows.
		r := xccitt.NewReader(bytes.NewReader(data), xccitt.MSB, xccitt.Group4, b.w, xccitt.AutoDetectHeight, &xccitt.Options{Invert: true})
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("h=%d: %v", h, err)
		}
		clearPadding(got, b.w, h)
		if len(got) != len(b.pix) {
			t.Fatalf("h=%d: decoded %d bytes, want %d", h, len(got), len(b.pix))
		}
		if d := diffPixels(b.pix, got, b.w, h); d != "" {
			t.Fatal(d)
		}
	}
	// An empty image is just EOFB, padded: 00000000 00010000 00000001.
	var buf bytes.Buffer
	if err := Encode(&buf, nil, 100, 0); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x00, 0x10, 0x01}; !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("empty image %x, want %x", buf.Bytes(), want)
	}
}

// TestStreaming checks that WriteRow through small writes produces the same
// bytes as Encode, that nothing but whole flushes happen before Close, and
// that Rows counts.
func TestStreaming(t *testing.T) {
	b := textPage(2480, 3508, 3)
	want := encode(t, b)
	var buf bytes.Buffer
	e := NewEncoder(&buf, b.w)
	for y := 0; y < b.h; y++ {
		if err := e.WriteRow(b.pix[y*b.stride : (y+1)*b.stride]); err != nil {
			t.Fatal(err)
		}
	}
	if e.Rows() != b.h {
		t.Fatalf("Rows = %d", e.Rows())
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("streaming output differs from Encode")
	}
	if err := e.Close(); err != ErrClosed {
		t.Fatalf("second Close: %v", err)
	}
	if err := e.WriteRow(b.pix[:b.stride]); err != ErrClosed {
		t.Fatalf("WriteRow after Close: %v", err)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestErrors(t *testing.T) {
	for _, w := range []int{0, -1, MaxWidth + 1} {
		if err := Encode(io.Discard, nil, w, 0); err != ErrWidth {
			t.Errorf("width %d: %v", w, err)
		}
		if err := NewEncoder(io.Discard, w).WriteRow(nil); err != ErrWidth {
			t.Errorf("width %d WriteRow: %v", w, err)
		}
	}
	e := NewEncoder(io.Discard, 9)
	if err := e.WriteRow(make([]byte, 1)); err != ErrRowLength {
		t.Errorf("short row: %v", err)
	}
	if err := e.WriteRow(make([]byte, 3)); err != ErrRowLength {
		t.Errorf("long row: %v", err)
	}
	if err := Encode(io.Discard, make([]byte, 5), 9, 3); err != ErrRowLength {
		t.Errorf("short rows: %v", err)
	}
	// Write errors are sticky and reported.
	b := noise(2000, 2000, 1)
	if err := Encode(&failWriter{n: 2}, b.pix, b.w, b.h); err == nil || err.Error() != "disk full" {
		t.Errorf("write error: %v", err)
	}
	if err := Encode(&failWriter{}, nil, 8, 0); err == nil {
		t.Error("write error on Close not reported")
	}
}

func TestChangingElements(t *testing.T) {
	for _, w := range []int{1, 5, 8, 63, 64, 65, 130, 200} {
		for seed := uint64(0); seed < 20; seed++ {
			b := sparseNoise(w, 1, float64(seed%5)/4, seed).garbagePadding()
			out := make([]int32, 8*b.stride+3)
			n := changingElements(b.pix, w, out)
			var want []int32
			prev := false
			for x := 0; x < w; x++ {
				if p := b.get(x, 0); p != prev {
					want = append(want, int32(x))
					prev = p
				}
			}
			if fmt.Sprint(out[:n]) != fmt.Sprint(want) {
				t.Fatalf("w=%d seed=%d: got %v want %v", w, seed, out[:n], want)
			}
		}
	}
}

func FuzzEncode(f *testing.F) {
	f.Add(uint16(1), []byte{0x80})
	f.Add(uint16(9), []byte{0xAA, 0x55, 0x00, 0xFF, 0x0F, 0xF0})
	f.Add(uint16(64), bytes.Repeat([]byte{0xF0, 0x0F, 0x00}, 40))
	f.Add(uint16(3000), bytes.Repeat([]byte{0x00, 0xFF}, 800))
	f.Fuzz(func(t *testing.T, w16 uint16, data []byte) {
		w := 1 + int(w16)%6000
		stride := (w + 7) / 8
		h := len(data) / stride
		pix := data[:h*stride]
		var buf bytes.Buffer
		if err := Encode(&buf, pix, w, h); err != nil {
			t.Fatal(err)
		}
		got, err := decodeX(buf.Bytes(), w, h, true)
		if err != nil {
			t.Fatalf("%dx%d: decode: %v", w, h, err)
		}
		if d := diffPixels(pix, got, w, h); d != "" {
			t.Fatalf("%dx%d: %s", w, h, d)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	for _, bc := range []struct {
		name string
		img  *bitmap
	}{
		{"A4-300dpi-text", textPage(2480, 3508, 1)},
		{"A4-300dpi-white", allWhite(2480, 3508)},
		{"A4-300dpi-noise5", sparseNoise(2480, 3508, 0.05, 1)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			img := bc.img
			var buf bytes.Buffer
			if err := Encode(&buf, img.pix, img.w, img.h); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(img.pix)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := Encode(io.Discard, img.pix, img.w, img.h); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(buf.Len()), "G4-bytes")
		})
	}
}
