package scan

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"os/exec"
	"runtime"
	"testing"
)

// fuzzSeeds are small files of all three formats.
func fuzzSeeds(t testing.TB) [][]byte {
	gray := image.NewGray(image.Rect(0, 0, 16, 12))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 5)
	}
	pal := image.NewPaletted(gray.Rect, color.Palette{color.Black, color.White, color.RGBA{200, 0, 0, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	rgb := colourFixture(12, 9)
	truth := bilevelTruth(24, 10, 7)
	seeds := [][]byte{
		withSegments(encodeJPEG(t, gray), jfif(1, 300, 300), exif(binary.BigEndian, 6, 200, 2), iccChunk(1, 1, bytes.Repeat([]byte{7}, 140))),
		encodeJPEG(t, rgb),
		synthJPEG(0xC2, 8, "CMYK", 2, adobe(2)),
		withChunks(encodePNG(t, gray), phys(11811, 11811, 1), iccp(bytes.Repeat([]byte{9}, 200))),
		encodePNG(t, pal),
		encodePNG(t, rgb),
		writeTIFF(binary.LittleEndian, []tpage{bilevelTIFFPage(24, 10, truth, 0, short(tOrientation, 6)), bilevelTIFFPage(24, 10, truth, 1)}),
		rgbTIFF(rgb),
	}
	if _, err := exec.LookPath("tiffcp"); err == nil {
		src := writeTIFF(binary.BigEndian, []tpage{bilevelTIFFPage(24, 10, truth, 0)})
		for _, args := range [][]string{{"-c", "g4"}, {"-c", "g4", "-r", "4", "-f", "lsb2msb"}, {"-c", "g3:fill"}, {"-c", "lzw"}, {"-c", "packbits"}, {"-c", "zip", "-t", "-w", "16", "-l", "16"}} {
			seeds = append(seeds, tiffcp(t, args, src))
		}
		seeds = append(seeds, tiffcp(t, []string{"-c", "lzw:2"}, rgbTIFF(rgb)), tiffcp(t, []string{"-c", "lzw", "-p", "separate", "-r", "4"}, rgbTIFF(rgb)))
		big := rgbTIFF(colourFixture(40, 32))
		seeds = append(seeds, tiffcp(t, []string{"-c", "jpeg"}, big), tiffcp(t, []string{"-c", "jpeg", "-r", "16"}, big))
	}
	return seeds
}

func TestSeedsInspect(t *testing.T) {
	for i, s := range fuzzSeeds(t) {
		if _, err := Inspect(bytes.NewReader(s), int64(len(s))); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
	}
}

// FuzzInspect: no input makes Inspect (or the decoders, on what Inspect
// accepts) panic, loop or allocate far beyond the input's size.
func FuzzInspect(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		catchPanics = false
		defer func() { catchPanics = true }()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		pages, err := Inspect(bytes.NewReader(data), int64(len(data)))
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(64*len(data))+4<<20 {
			t.Fatalf("Inspect allocated %d bytes for a %d-byte input", alloc, len(data))
		}
		if err != nil {
			if pages != nil {
				t.Fatal("pages with an error")
			}
			return
		}
		if len(pages) == 0 {
			t.Fatal("no pages and no error")
		}
		for _, p := range pages {
			if p.Kind < JPEG || p.Kind > Decode || p.Width <= 0 || p.Height <= 0 {
				t.Fatalf("bad page %+v", p)
			}
			ranges := p.Ranges
			for _, b := range p.Blocks {
				if len(b.Ranges) == 0 || b.W <= 0 || b.H <= 0 {
					t.Fatalf("bad block %+v", b)
				}
				ranges = append(ranges, b.Ranges...)
			}
			for _, r := range ranges {
				if r.Off < 0 || r.Len < 0 || r.Off+r.Len > int64(len(data)) {
					t.Fatalf("range %v outside the %d-byte file", r, len(data))
				}
			}
			// a page passed through is its ranges, or its blocks', never both
			if p.Kind.Passthrough() != (p.Filter != "") || p.Kind.Passthrough() != (len(p.Ranges) > 0 != (len(p.Blocks) > 0)) {
				t.Fatalf("kind %v with filter %q, %d ranges and %d blocks", p.Kind, p.Filter, len(p.Ranges), len(p.Blocks))
			}
			if p.Width*p.Height > 1<<16 {
				continue
			}
			if p.Bilevel && p.Format == "TIFF" {
				rows, w, h, err := DecodeBilevel(bytes.NewReader(data), p)
				if err == nil && len(rows) != (w+7)/8*h {
					t.Fatalf("DecodeBilevel: %d bytes for %d×%d", len(rows), w, h)
				}
			}
			if img, err := DecodeImage(bytes.NewReader(data), p); err == nil && (img.Bounds().Dx() != p.Width || img.Bounds().Dy() != p.Height) {
				t.Fatalf("DecodeImage: %v for %d×%d", img.Bounds(), p.Width, p.Height)
			}
		}
	})
}
