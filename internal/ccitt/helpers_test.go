package ccitt

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	xccitt "golang.org/x/image/ccitt"
)

// bitmap is a packed 1-bit image, MSB first, 1 = black.
type bitmap struct {
	w, h, stride int
	pix          []byte
}

func newBitmap(w, h int) *bitmap {
	s := (w + 7) / 8
	return &bitmap{w: w, h: h, stride: s, pix: make([]byte, s*h)}
}

func (b *bitmap) set(x, y int) { b.pix[y*b.stride+x>>3] |= 0x80 >> uint(x&7) }

func (b *bitmap) get(x, y int) bool { return b.pix[y*b.stride+x>>3]&(0x80>>uint(x&7)) != 0 }

func (b *bitmap) fillRect(x0, y0, x1, y1 int) {
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, b.w), min(y1, b.h)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			b.set(x, y)
		}
	}
}

// garbagePadding sets the unused bits at the end of each row, which the
// encoder must ignore.
func (b *bitmap) garbagePadding() *bitmap {
	c := *b
	c.pix = bytes.Clone(b.pix)
	if r := b.w % 8; r != 0 {
		for y := 0; y < b.h; y++ {
			c.pix[y*b.stride+b.stride-1] |= 0xFF >> uint(r)
		}
	}
	return &c
}

// clearPadding zeroes the unused bits at the end of each row.
func clearPadding(pix []byte, w, h int) {
	s := (w + 7) / 8
	if r := w % 8; r != 0 {
		for y := 0; y < h; y++ {
			pix[y*s+s-1] &^= 0xFF >> uint(r)
		}
	}
}

func allWhite(w, h int) *bitmap { return newBitmap(w, h) }

func allBlack(w, h int) *bitmap {
	b := newBitmap(w, h)
	for i := range b.pix {
		b.pix[i] = 0xFF
	}
	return b
}

func checkerboard(w, h int) *bitmap {
	b := newBitmap(w, h)
	for y := 0; y < h; y++ {
		for x := y & 1; x < w; x += 2 {
			b.set(x, y)
		}
	}
	return b
}

func noise(w, h int, seed uint64) *bitmap {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := newBitmap(w, h)
	for i := range b.pix {
		b.pix[i] = byte(r.Uint32())
	}
	return b
}

// sparseNoise sets each pixel with probability p: long runs of both colours
// mixed with short ones, which exercises all three modes.
func sparseNoise(w, h int, p float64, seed uint64) *bitmap {
	r := rand.New(rand.NewPCG(seed, 7))
	b := newBitmap(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if r.Float64() < p {
				b.set(x, y)
			}
		}
	}
	return b
}

func verticalStripes(w, h, period int) *bitmap {
	b := newBitmap(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if (x/period)&1 == 1 {
				b.set(x, y)
			}
		}
	}
	return b
}

// longRuns produces rows with runs of both colours well beyond 2560 pixels,
// including lengths around the 2560/2624 make-up boundaries.
func longRuns(w, h int) *bitmap {
	b := newBitmap(w, h)
	lens := []int{2559, 2560, 2561, 2623, 2624, 2625, 5120, 5183, 5184, 1791, 1792, 1727, 1728, 63, 64, 65, 0, 1}
	for y := 0; y < h; y++ {
		x, black := 0, y&1 == 1
		for i := y; x < w; i++ {
			n := lens[i%len(lens)]
			if black {
				b.fillRect(x, y, x+n, y+1)
			}
			x += n
			black = !black
		}
	}
	return b
}

// rectPage draws random filled rectangles: a crude "text page".
func rectPage(w, h, n int, seed uint64) *bitmap {
	r := rand.New(rand.NewPCG(seed, 3))
	b := newBitmap(w, h)
	for i := 0; i < n; i++ {
		x, y := r.IntN(w), r.IntN(h)
		b.fillRect(x, y, x+1+r.IntN(40), y+1+r.IntN(30))
	}
	return b
}

// textPage synthesises a scanned text page: a 200 px margin, lines of words
// made of 5x7 random glyphs scaled 4x (20x28 px), a rule and a logo box.
func textPage(w, h int, seed uint64) *bitmap {
	r := rand.New(rand.NewPCG(seed, 11))
	b := newBitmap(w, h)
	var glyphs [64][7]uint8
	for i := range glyphs {
		for j := range glyphs[i] {
			glyphs[i][j] = uint8(r.Uint32()) & 0x1F
		}
	}
	const margin, scale, adv, lineH = 200, 4, 24, 50
	b.fillRect(margin, margin, margin+300, margin+150) // logo
	b.fillRect(margin, margin+200, w-margin, margin+206)
	for ly := margin + 260; ly+lineH < h-margin; ly += lineH {
		x := margin
		for x < w-margin-10*adv {
			n := 2 + r.IntN(8)
			for c := 0; c < n; c++ {
				g := &glyphs[r.IntN(len(glyphs))]
				for gy := 0; gy < 7; gy++ {
					for gx := 0; gx < 5; gx++ {
						if g[gy]&(0x10>>uint(gx)) != 0 {
							b.fillRect(x+gx*scale, ly+gy*scale, x+(gx+1)*scale, ly+(gy+1)*scale)
						}
					}
				}
				x += adv
			}
			x += adv
		}
	}
	return b
}

func encode(t testing.TB, b *bitmap) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, b.pix, b.w, b.h); err != nil {
		t.Fatalf("Encode %dx%d: %v", b.w, b.h, err)
	}
	return buf.Bytes()
}

// decodeX decodes a Group 4 stream with golang.org/x/image/ccitt into packed
// rows with 1 = black (Invert: true) and zeroed padding bits.
func decodeX(data []byte, w, h int, invert bool) ([]byte, error) {
	r := xccitt.NewReader(bytes.NewReader(data), xccitt.MSB, xccitt.Group4, w, h,
		&xccitt.Options{Invert: invert, Align: false})
	out := make([]byte, ((w+7)/8)*h)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, err
	}
	// The stream must end here: nothing more to read.
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		return nil, fmt.Errorf("trailing data after %d rows: n=%d err=%v", h, n, err)
	}
	clearPadding(out, w, h)
	return out, nil
}

// diffPixels reports the first differing pixel, or "".
func diffPixels(want, got []byte, w, h int) string {
	want = bytes.Clone(want)
	clearPadding(want, w, h)
	if bytes.Equal(want, got) {
		return ""
	}
	if len(want) != len(got) {
		return fmt.Sprintf("length %d, want %d", len(got), len(want))
	}
	s := (w + 7) / 8
	for i := range want {
		if want[i] != got[i] {
			y, x := i/s, (i%s)*8
			return fmt.Sprintf("first difference at row %d, pixels %d..%d: got %08b want %08b", y, x, x+7, got[i], want[i])
		}
	}
	return "?"
}
