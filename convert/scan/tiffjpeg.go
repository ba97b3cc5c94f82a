package scan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
)

// tJPEGTables holds the quantization and Huffman tables that the strips of a JPEG-in-TIFF page
// share (TIFF Technical Note 2): an abbreviated JPEG stream, SOI tables… EOI.
const tJPEGTables = 347

// tiffJPEG describes a JPEG-in-TIFF page (compression 7). Each strip or tile is a JPEG stream
// without the tables kept once in JPEGTables; each passes through as a JPEG stream made of the
// file's own bytes — the block's SOI, the tables, the rest of the block — checked as any JPEG
// file is: the page's image when it is in one strip, else an image per block, drawn where the
// block lies (strips cannot be joined into one JPEG stream without rewriting it, and decoding
// them would freeze one decoder's rounding into the archive).
func (p *Page) tiffJPEG(t *tiffDir, m tagMap) error {
	tp := p.tiff
	if tp.bps != 8 {
		return fmt.Errorf("JPEG-in-TIFF with %d bits per sample is not supported", tp.bps)
	}
	if tp.planar == 2 && tp.spp > 1 {
		return errors.New("JPEG-in-TIFF with separate colour planes is not supported")
	}
	if want := map[int]int{0: 1, 1: 1, 2: 3, 6: 3}[p.Photometric]; want == 0 || tp.spp != want {
		return fmt.Errorf("JPEG-in-TIFF with PhotometricInterpretation %d and %d samples per pixel is not supported", p.Photometric, tp.spp)
	}
	if e, ok := m[tJPEGTables]; ok {
		if n := int64(e.count) * tiffTypeSize(e.typ); n > 4 {
			off := int64(t.bo.Uint32(e.raw[:]))
			var soi, eoi [2]byte
			if n > t.size-off || readAt(t.r, t.size, soi[:], off) != nil || readAt(t.r, t.size, eoi[:], off+n-2) != nil {
				return errors.New("JPEGTables lie past the end of the file")
			}
			if soi != [2]byte{0xFF, 0xD8} || eoi != [2]byte{0xFF, 0xD9} {
				return errors.New("JPEGTables is not a JPEG tables stream (SOI … EOI)")
			}
			tp.tables = Range{off + 2, n - 4}
		}
	}
	for i, s := range p.Strips {
		var soi [2]byte
		if s.Len < 4 || readAt(t.r, t.size, soi[:], s.Off) != nil || soi != [2]byte{0xFF, 0xD8} {
			return fmt.Errorf("JPEG-in-TIFF block %d is not a JPEG stream (no SOI marker)", i+1)
		}
	}
	switch p.Photometric {
	case 0:
		p.DecodeArray = []float64{1, 0} // WhiteIsZero
	case 2:
		p.DecodeParms = map[string]any{"ColorTransform": 0} // RGB samples, not YCbCr
	case 6:
		p.DecodeParms = map[string]any{"ColorTransform": 1}
	}
	want := map[int]string{0: "DeviceGray", 1: "DeviceGray", 2: "DeviceRGB", 6: "DeviceRGB"}[p.Photometric]
	blocks := make([]Block, 0, len(p.Strips))
	for i, s := range p.Strips {
		ranges := []Range{{s.Off, 2}}
		if tp.tables.Len > 0 {
			ranges = append(ranges, tp.tables)
		}
		stream := newRangesReader(t.r, append(ranges, Range{s.Off + 2, s.Len - 2}))
		jp, err := inspectJPEG(stream, stream.size)
		if err != nil {
			return fmt.Errorf("block %d: %v", i+1, err)
		}
		// a block is the block size, but the last strip, which may stop at the page's end
		if jp.Width != tp.blockW || (jp.Height != tp.blockH && jp.Height != s.H) || jp.ColorSpace != want {
			return fmt.Errorf("block %d is a %d×%d %s JPEG stream, not %d×%d %s", i+1, jp.Width, jp.Height, jp.ColorSpace, tp.blockW, tp.blockH, want)
		}
		blocks = append(blocks, Block{Ranges: stream.cut(jp.Ranges[0].Len), X: s.X, Y: s.Y, W: jp.Width, H: jp.Height})
	}
	p.Kind, p.Filter, p.ReverseBits = JPEG, "DCTDecode", false // FillOrder does not apply to JPEG data
	if b := blocks[0]; len(blocks) == 1 && b.W == p.Width && b.H == p.Height {
		p.Ranges = b.Ranges // one stream, the page's image
		return nil
	}
	p.Blocks = blocks
	p.problem("JPEG-in-TIFF in %d %ss: each passes through as an image of its own", len(blocks), map[bool]string{false: "strip", true: "tile"}[tp.tiled])
	return nil
}

// rangesReader reads byte ranges of a file as one stream.
type rangesReader struct {
	r      io.ReaderAt
	ranges []Range
	size   int64
}

func newRangesReader(r io.ReaderAt, ranges []Range) *rangesReader {
	rr := &rangesReader{r: r, ranges: ranges}
	for _, rg := range ranges {
		rr.size += rg.Len
	}
	return rr
}

func (rr *rangesReader) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for _, rg := range rr.ranges {
		if len(b) == 0 {
			break
		}
		if off >= rg.Len {
			off -= rg.Len
			continue
		}
		k, err := rr.r.ReadAt(b[:min(int64(len(b)), rg.Len-off)], rg.Off+off)
		n += k
		if err != nil && !(err == io.EOF && int64(k) == min(int64(len(b)), rg.Len-off)) {
			return n, err
		}
		b, off = b[k:], 0
	}
	if len(b) > 0 {
		return n, io.EOF
	}
	return n, nil
}

// cut returns the ranges of the stream's first n bytes.
func (rr *rangesReader) cut(n int64) []Range {
	var out []Range
	for _, rg := range rr.ranges {
		if n <= 0 {
			break
		}
		rg.Len = min(rg.Len, n)
		out = append(out, rg)
		n -= rg.Len
	}
	return out
}

// decodeTIFFJPEG decodes a JPEG-in-TIFF page block by block into one image.
func decodeTIFFJPEG(r io.ReaderAt, p Page) (image.Image, error) {
	tp := p.tiff
	fail := func(format string, args ...any) (image.Image, error) {
		return nil, fmt.Errorf("TIFF page %d: %s", p.Index+1, fmt.Sprintf(format, args...))
	}
	rect := image.Rect(0, 0, p.Width, p.Height)
	var out draw.Image
	if tp.spp == 1 {
		if err := checkDecodeSize(p.Width, p.Height, 1); err != nil {
			return nil, err
		}
		out = image.NewGray(rect)
	} else {
		if err := checkDecodeSize(p.Width, p.Height, 4); err != nil {
			return nil, err
		}
		out = image.NewRGBA(rect)
	}
	var tables []byte
	if tp.tables.Len > 0 {
		tables = make([]byte, tp.tables.Len)
		if _, err := r.ReadAt(tables, tp.tables.Off); err != nil {
			return fail("JPEGTables: %v", err)
		}
	}
	for i, s := range p.Strips {
		if s.Len > maxDecodeBytes {
			return fail("block %d is too large", i+1)
		}
		stream := make([]byte, 0, int64(len(tables))+s.Len)
		stream = append(stream, 0xFF, 0xD8)
		stream = append(stream, tables...)
		stream = stream[:len(stream)+int(s.Len)-2]
		if _, err := r.ReadAt(stream[len(stream)-int(s.Len)+2:], s.Off+2); err != nil {
			return fail("block %d: %v", i+1, err)
		}
		im, err := jpeg.Decode(bytes.NewReader(stream))
		if err != nil {
			return fail("block %d: %v", i+1, err)
		}
		// a block is the block size (the last strip may stop at the page's end)
		if b := im.Bounds(); b.Dx() != tp.blockW || (b.Dy() != tp.blockH && b.Dy() != s.H) {
			return fail("block %d decodes to %d×%d, not %d×%d", i+1, b.Dx(), b.Dy(), tp.blockW, tp.blockH)
		}
		if ycc, ok := im.(*image.YCbCr); ok && p.Photometric == 2 { // RGB samples, taken for YCbCr
			if ycc.SubsampleRatio != image.YCbCrSubsampleRatio444 {
				return fail("block %d: RGB JPEG data with subsampled components is not supported", i+1)
			}
			im = rgbPlanes(ycc)
		}
		draw.Draw(out, image.Rect(s.X, s.Y, s.X+s.W, s.Y+s.H), im, im.Bounds().Min, draw.Src)
	}
	if p.Photometric == 0 { // WhiteIsZero
		g := out.(*image.Gray)
		for i := range g.Pix {
			g.Pix[i] = ^g.Pix[i]
		}
	}
	return out, nil
}

// rgbPlanes reads a 4:4:4 YCbCr image's planes as R, G and B.
func rgbPlanes(ycc *image.YCbCr) image.Image {
	b := ycc.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			yi, ci := ycc.YOffset(x, y), ycc.COffset(x, y)
			out.SetRGBA(x, y, color.RGBA{ycc.Y[yi], ycc.Cb[ci], ycc.Cr[ci], 0xFF})
		}
	}
	return out
}
