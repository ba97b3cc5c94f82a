package testpki

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/vbdt/vbdt/internal/ccitt"
)

// Scans of a made-up paper file, as scanners write them, for the demo, tests and benchmarks:
// TEST content only.

// ScanPage draws a page of a scanned document: a white sheet with lines of "text" (dark
// rectangles) at the resolution given, A4.
func ScanPage(dpi float64, seed uint64) *image.RGBA {
	w, h := int(8.27*dpi), int(11.69*dpi)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	paper := [4]byte{250, 248, 240, 255}
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:i+4], paper[:])
	}
	r := rand.New(rand.NewPCG(seed, 1))
	ink := color.RGBA{20, 20, 60, 255}
	line := int(dpi / 6)
	for y := int(dpi); y < h-int(dpi); y += line {
		for x := int(dpi); x < w-int(dpi); {
			word := int(dpi/8) + r.IntN(int(dpi/2))
			for yy := y; yy < y+line/2; yy++ {
				for xx := x; xx < min(x+word, w-int(dpi)); xx++ {
					img.SetRGBA(xx, yy, ink)
				}
			}
			x += word + int(dpi/12)
		}
	}
	return img
}

// WriteJPEG writes img as a JPEG whose JFIF header says dpi.
func WriteJPEG(path string, img image.Image, dpi int) error {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		return err
	}
	data := b.Bytes()
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 1, byte(dpi >> 8), byte(dpi), byte(dpi >> 8), byte(dpi), 0, 0}
	out := append(append(append([]byte{}, data[:2]...), app0...), data[2:]...)
	return os.WriteFile(path, out, 0o644)
}

// Bilevel thresholds img: packed rows, 1 = black.
func Bilevel(img image.Image) (rows []byte, width, height int) {
	b := img.Bounds()
	width, height = b.Dx(), b.Dy()
	stride := (width + 7) / 8
	rows = make([]byte, stride*height)
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			if g := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray); g.Y < 128 {
				rows[y*stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return rows, width, height
}

// TIFFPage is one page of a bilevel TIFF: packed rows (1 = black), compressed with CCITT G4 in
// strips of RowsPerStrip rows (0: one strip).
type TIFFPage struct {
	Rows          []byte
	Width, Height int
	DPI           int
	RowsPerStrip  int
}

// WriteG4TIFF writes a multi-page TIFF of G4 pages (WhiteIsZero, FillOrder 1).
func WriteG4TIFF(path string, pages []TIFFPage) error {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{'I', 'I', 42, 0, 0, 0, 0, 0}) // the first IFD's offset is patched below
	prevNext := 4
	for _, p := range pages {
		rps := p.RowsPerStrip
		if rps <= 0 || rps > p.Height {
			rps = p.Height
		}
		stride := (p.Width + 7) / 8
		var offs, counts []uint32
		for y := 0; y < p.Height; y += rps {
			n := min(rps, p.Height-y)
			var s bytes.Buffer
			if err := ccitt.Encode(&s, p.Rows[y*stride:(y+n)*stride], p.Width, n); err != nil {
				return err
			}
			offs, counts = append(offs, uint32(b.Len())), append(counts, uint32(s.Len()))
			b.Write(s.Bytes())
		}
		if b.Len()%2 == 1 {
			b.WriteByte(0)
		}
		// out-of-line values: strip offsets, counts, two resolutions
		arrays := b.Len()
		for _, v := range append(offs, counts...) {
			binary.Write(&b, le, v)
		}
		res := b.Len()
		binary.Write(&b, le, []uint32{uint32(p.DPI), 1, uint32(p.DPI), 1})
		ifd := b.Len()
		le.PutUint32(b.Bytes()[prevNext:], uint32(ifd))
		type entry struct {
			tag, typ uint16
			count    uint32
			value    uint32
		}
		n := uint32(len(offs))
		offVal, cntVal := uint32(arrays), uint32(arrays)+4*n
		if n == 1 {
			offVal, cntVal = offs[0], counts[0]
		}
		entries := []entry{
			{256, 4, 1, uint32(p.Width)}, {257, 4, 1, uint32(p.Height)}, {258, 3, 1, 1}, {259, 3, 1, 4},
			{262, 3, 1, 0}, {273, 4, n, offVal}, {277, 3, 1, 1}, {278, 4, 1, uint32(rps)}, {279, 4, n, cntVal},
			{282, 5, 1, uint32(res)}, {283, 5, 1, uint32(res + 8)}, {296, 3, 1, 2},
		}
		binary.Write(&b, le, uint16(len(entries)))
		for _, e := range entries {
			binary.Write(&b, le, e.tag)
			binary.Write(&b, le, e.typ)
			binary.Write(&b, le, e.count)
			binary.Write(&b, le, e.value)
		}
		prevNext = b.Len()
		binary.Write(&b, le, uint32(0))
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// WriteDossier writes a small scanned file (hồ sơ) of three documents into dir/code: a colour
// JPEG page, a two-page bilevel G4 TIFF (the first page one strip, the second many: one passes
// through, the other is re-encoded), and a colour PNG page — TEST content.
func WriteDossier(dir, code string, dpi int) (string, error) {
	folder := filepath.Join(dir, code)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return "", err
	}
	if err := WriteJPEG(filepath.Join(folder, "01-quyet-dinh.jpg"), ScanPage(float64(dpi), 1), dpi); err != nil {
		return "", err
	}
	var pages []TIFFPage
	for i, rps := range []int{0, 64} {
		rows, w, h := Bilevel(ScanPage(float64(dpi), uint64(2+i)))
		pages = append(pages, TIFFPage{Rows: rows, Width: w, Height: h, DPI: dpi, RowsPerStrip: rps})
	}
	if err := WriteG4TIFF(filepath.Join(folder, "02-to-trinh.tif"), pages); err != nil {
		return "", err
	}
	if err := WritePNG(filepath.Join(folder, "03-phu-luc.png"), ScanPage(float64(dpi), 4), float64(dpi)); err != nil {
		return "", fmt.Errorf("png: %w", err)
	}
	return folder, nil
}
