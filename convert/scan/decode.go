package scan

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	g4 "github.com/vbdt/vbdt/internal/ccitt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/bits"

	"golang.org/x/image/tiff/lzw"
)

// maxDecodeBytes bounds the pixel buffer of one decoded page.
const maxDecodeBytes = 1 << 30

// DecodeBilevel returns the pixels of a 1-bit TIFF page (Kind Bilevel or G4):
// packed rows, MSB first, 1 = black, each row padded to a whole byte (padding
// bits are 0), and the page's width and height.
func DecodeBilevel(r io.ReaderAt, p Page) (rows []byte, width, height int, err error) {
	defer func() {
		if !catchPanics {
			return
		}
		if e := recover(); e != nil {
			rows, width, height, err = nil, 0, 0, fmt.Errorf("internal error while decoding: %v", e)
		}
	}()
	tp := p.tiff
	if tp == nil || p.Format != "TIFF" {
		return nil, 0, 0, fmt.Errorf("%s page %d is not a bilevel TIFF page: use DecodeImage", p.Format, p.Index+1)
	}
	if tp.bps != 1 || tp.spp != 1 || (p.Photometric != 0 && p.Photometric != 1) {
		return nil, 0, 0, fmt.Errorf("TIFF page %d is not a 1-bit black-and-white page: use DecodeImage", p.Index+1)
	}
	buf, stride, err := decodeTIFFSamples(r, p)
	if err != nil {
		return nil, 0, 0, err
	}
	if p.Photometric == 1 { // BlackIsZero: 1 = white in the samples
		for i := range buf {
			buf[i] = ^buf[i]
		}
	}
	if pad := stride*8 - p.Width; pad > 0 {
		mask := byte(0xFF << pad)
		for y := 0; y < p.Height; y++ {
			buf[y*stride+stride-1] &= mask
		}
	}
	return buf, p.Width, p.Height, nil
}

// DecodeImage returns the pixels of a page. It works for every kind; it is
// needed for Kind Decode (and gives an *image.Gray for bilevel TIFF pages).
func DecodeImage(r io.ReaderAt, p Page) (img image.Image, err error) {
	defer func() {
		if !catchPanics {
			return
		}
		if e := recover(); e != nil {
			img, err = nil, fmt.Errorf("internal error while decoding: %v", e)
		}
	}()
	switch p.Format {
	case "JPEG":
		if len(p.Ranges) != 1 {
			return nil, errors.New("JPEG page without its byte range")
		}
		if err := checkDecodeSize(p.Width, p.Height, 4); err != nil {
			return nil, err
		}
		return jpeg.Decode(io.NewSectionReader(r, p.Ranges[0].Off, p.Ranges[0].Len))
	case "PNG":
		if p.fileSize <= 0 {
			return nil, errors.New("PNG page was not produced by Inspect")
		}
		if err := checkDecodeSize(p.Width, p.Height, 8); err != nil {
			return nil, err
		}
		return png.Decode(io.NewSectionReader(r, 0, p.fileSize))
	case "TIFF":
		if p.tiff == nil {
			return nil, errors.New("TIFF page was not produced by Inspect")
		}
		return decodeTIFFImage(r, p)
	}
	return nil, fmt.Errorf("unknown format %q", p.Format)
}

func checkDecodeSize(w, h, bytesPerPixel int) error {
	if int64(w)*int64(h)*int64(bytesPerPixel) > maxDecodeBytes {
		return fmt.Errorf("page of %d×%d pixels is too large to decode (over %d MiB)", w, h, maxDecodeBytes>>20)
	}
	return nil
}

// decodeTIFFSamples decompresses all strips or tiles of a page into one
// buffer of rows of packed samples (16-bit samples big-endian), and returns
// it with its row stride.
func decodeTIFFSamples(r io.ReaderAt, p Page) ([]byte, int, error) {
	tp := p.tiff
	fail := func(format string, args ...any) ([]byte, int, error) {
		return nil, 0, fmt.Errorf("TIFF page %d: %s", p.Index+1, fmt.Sprintf(format, args...))
	}
	// PlanarConfiguration 2: a block holds one sample of each pixel (one colour plane), the
	// planes' blocks one after the other; samples are whole bytes then (checkDecodable)
	planes, spp := 1, tp.spp
	if tp.planar == 2 && tp.spp > 1 {
		planes, spp = tp.spp, 1
	}
	stride := rowBytes(p.Width, tp.bps, tp.spp)
	total := int64(stride) * int64(p.Height)
	if total > maxDecodeBytes {
		return fail("page of %d×%d pixels is too large to decode (over %d MiB)", p.Width, p.Height, maxDecodeBytes>>20)
	}
	bstride := rowBytes(tp.blockW, tp.bps, spp)
	if int64(bstride)*int64(tp.blockH) > 2*total+1<<20 {
		return fail("tiles of %d×%d pixels are too large for the page", tp.blockW, tp.blockH)
	}
	buf := make([]byte, total)
	var raw, block []byte
	for i, s := range p.Strips {
		what := fmt.Sprintf("strip %d of %d", i+1, len(p.Strips))
		if tp.tiled {
			what = fmt.Sprintf("tile %d of %d", i+1, len(p.Strips))
		}
		rows := s.H // strips: the last one is short
		if tp.tiled {
			rows = tp.blockH // tiles are always whole
		}
		want := bstride * rows
		if cap(block) < want {
			block = make([]byte, want)
		}
		block = block[:want]
		if s.Len > 1<<31 {
			return fail("%s is too large", what)
		}
		if cap(raw) < int(s.Len) {
			raw = make([]byte, s.Len)
		}
		raw = raw[:s.Len]
		if err := readAt(r, s.Off+s.Len, raw, s.Off); err != nil {
			return fail("%s cannot be read: %v", what, err)
		}
		if tp.fillOrder == 2 {
			reverseBits(raw)
		}
		if err := decompress(p, raw, block, tp.blockW, rows); err != nil {
			return fail("%s: %v", what, err)
		}
		if tp.bps == 16 && tp.bo.Uint16([]byte{0, 1}) != 1 { // little-endian file
			for j := 0; j+1 < len(block); j += 2 {
				block[j], block[j+1] = block[j+1], block[j]
			}
		}
		if tp.predictor == 2 {
			undoPredictor(block, bstride, tp.bps, spp)
		}
		if planes > 1 { // each sample to its place among the pixel's
			bb, plane := tp.bps/8, i/(len(p.Strips)/planes)
			for y := 0; y < s.H; y++ {
				row, src := buf[(s.Y+y)*stride:], block[y*bstride:]
				for x := 0; x < s.W; x++ {
					copy(row[((s.X+x)*tp.spp+plane)*bb:][:bb], src[x*bb:][:bb])
				}
			}
			continue
		}
		xb := s.X * tp.bps * tp.spp / 8
		n := rowBytes(s.W, tp.bps, tp.spp)
		for y := 0; y < s.H; y++ {
			copy(buf[(s.Y+y)*stride+xb:(s.Y+y)*stride+xb+n], block[y*bstride:y*bstride+n])
		}
	}
	return buf, stride, nil
}

// decompress fills dst (exactly) from the compressed bytes src of one block
// of w pixels by rows rows.
func decompress(p Page, src, dst []byte, w, rows int) error {
	var rd io.Reader
	switch p.Compression {
	case cNone:
		if len(src) < len(dst) {
			return fmt.Errorf("has %d bytes, %d expected (truncated)", len(src), len(dst))
		}
		copy(dst, src)
		return nil
	case cPackBits:
		return unpackBits(src, dst)
	case cLZW:
		lr := lzw.NewReader(bytes.NewReader(src), lzw.MSB, 8)
		defer lr.Close()
		rd = lr
	case cDeflate, cDeflateOld:
		zr, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return fmt.Errorf("Deflate data is damaged: %v", err)
		}
		defer zr.Close()
		rd = zr
	case cCCITTRLE, cG3, cG4:
		// 1 bits for black runs, which is what TIFF samples hold (libtiff's convention;
		// Photometric then says what 1 means): vbdt's own decoder, 6× x/image/ccitt's speed
		var out []byte
		var err error
		switch p.Compression {
		case cG4:
			out, err = g4.Decode(src, w, rows)
		case cG3:
			out, err = g4.DecodeT4(src, w, rows, g4.T4{TwoD: p.tiff.t4&1 != 0})
		default:
			out, err = g4.DecodeT4(src, w, rows, g4.T4{RLE: true})
		}
		switch {
		case err != nil:
			return fmt.Errorf("compressed data is damaged: %v", err)
		case len(out) < len(dst):
			return errors.New("compressed data ends early (truncated or damaged)")
		}
		copy(dst, out)
		return nil
	default:
		return fmt.Errorf("compression %d is not supported", p.Compression)
	}
	if _, err := io.ReadFull(rd, dst); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return errors.New("compressed data ends early (truncated or damaged)")
		}
		return fmt.Errorf("compressed data is damaged: %v", err)
	}
	return nil
}

// unpackBits decodes PackBits data into dst, which it must fill.
func unpackBits(src, dst []byte) error {
	i, o := 0, 0
	for o < len(dst) {
		if i >= len(src) {
			return errors.New("PackBits data ends early (truncated or damaged)")
		}
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			k := n + 1
			if i+k > len(src) || o+k > len(dst) {
				return errors.New("PackBits data is damaged")
			}
			copy(dst[o:], src[i:i+k])
			i += k
			o += k
		case n == -128: // no-op
		default:
			k := 1 - n
			if i >= len(src) || o+k > len(dst) {
				return errors.New("PackBits data is damaged")
			}
			c := src[i]
			i++
			for j := 0; j < k; j++ {
				dst[o+j] = c
			}
			o += k
		}
	}
	return nil
}

func reverseBits(b []byte) {
	for i, c := range b {
		b[i] = bits.Reverse8(c)
	}
}

// undoPredictor reverses TIFF horizontal differencing (Predictor 2) on rows
// of 8-bit or big-endian 16-bit samples.
func undoPredictor(b []byte, stride, bps, spp int) {
	for y := 0; y+stride <= len(b); y += stride {
		row := b[y : y+stride]
		if bps == 8 {
			for i := spp; i < len(row); i++ {
				row[i] += row[i-spp]
			}
			continue
		}
		for i := 2 * spp; i+1 < len(row); i += 2 {
			v := uint16(row[i])<<8 | uint16(row[i+1])
			u := uint16(row[i-2*spp])<<8 | uint16(row[i-2*spp+1])
			v += u
			row[i], row[i+1] = byte(v>>8), byte(v)
		}
	}
}

func decodeTIFFImage(r io.ReaderAt, p Page) (image.Image, error) {
	if p.Compression == cJPEG {
		return nil, fmt.Errorf("TIFF page %d: JPEG-in-TIFF passes through; it is not decoded here", p.Index+1)
	}
	tp := p.tiff
	bpp := 1
	if tp.bps == 16 || tp.spp > 1 {
		bpp = 8
	}
	if err := checkDecodeSize(p.Width, p.Height, bpp); err != nil {
		return nil, err
	}
	buf, stride, err := decodeTIFFSamples(r, p)
	if err != nil {
		return nil, err
	}
	w, h := p.Width, p.Height
	rect := image.Rect(0, 0, w, h)
	bps, spp := tp.bps, tp.spp
	// sample returns sample s (0-based within the pixel) of pixel x in row y,
	// for bps ≤ 8.
	small := func(row []byte, x int) uint8 {
		bit := x * bps
		v := row[bit/8] >> (8 - bps - bit%8) & (1<<bps - 1)
		return v
	}
	switch p.Photometric {
	case 0, 1:
		if spp == 1 {
			if bps == 16 {
				img := image.NewGray16(rect)
				for y := 0; y < h; y++ {
					row := buf[y*stride:]
					for x := 0; x < w; x++ {
						v := uint16(row[2*x])<<8 | uint16(row[2*x+1])
						if p.Photometric == 0 {
							v = ^v
						}
						img.SetGray16(x, y, color.Gray16{v})
					}
				}
				return img, nil
			}
			img := image.NewGray(rect)
			maxv := 1<<bps - 1
			for y := 0; y < h; y++ {
				row := buf[y*stride:]
				out := img.Pix[y*img.Stride:]
				for x := 0; x < w; x++ {
					var v uint8
					if bps == 8 {
						v = row[x]
					} else {
						v = uint8(int(small(row, x)) * 255 / maxv)
					}
					if p.Photometric == 0 {
						v = ^v
					}
					out[x] = v
				}
			}
			return img, nil
		}
		// Gray with an extra sample: alpha when ExtraSamples says so (1 associated, 2 not),
		// else data of no meaning for the page (TIFF 6.0: 0, unspecified), left out; an alpha
		// that is opaque everywhere is left out too
		alpha := len(tp.extraSamples) > 0 && tp.extraSamples[0] != 0 && !allMax(buf, stride, w, h, spp, 1, bps)
		assoc := alpha && tp.extraSamples[0] == 1
		// gray is a pixel's gray, black is zero, premultiplied by its alpha when associated
		// (then at most the alpha: WhiteIsZero premultiplied reads a − s)
		gray := func(row []byte, x int) uint16 {
			g, a := sample16(row, x*spp, bps), sample16(row, x*spp+1, bps)
			switch {
			case assoc && p.Photometric == 0:
				return a - min(g, a)
			case assoc:
				return min(g, a)
			case p.Photometric == 0:
				return ^g
			}
			return g
		}
		switch {
		case !alpha && bps == 8:
			img := image.NewGray(rect)
			for y := 0; y < h; y++ {
				row, out := buf[y*stride:], img.Pix[y*img.Stride:]
				for x := 0; x < w; x++ {
					out[x] = uint8(gray(row, x) >> 8)
				}
			}
			return img, nil
		case !alpha:
			img := image.NewGray16(rect)
			for y := 0; y < h; y++ {
				row := buf[y*stride:]
				for x := 0; x < w; x++ {
					img.SetGray16(x, y, color.Gray16{gray(row, x)})
				}
			}
			return img, nil
		case bps == 8: // gray, gray, gray, alpha: premultiplied as stored (associated) or not
			var img image.Image
			var pix []uint8
			var pstride int
			if assoc {
				m := image.NewRGBA(rect)
				img, pix, pstride = m, m.Pix, m.Stride
			} else {
				m := image.NewNRGBA(rect)
				img, pix, pstride = m, m.Pix, m.Stride
			}
			for y := 0; y < h; y++ {
				row := buf[y*stride:]
				for x := 0; x < w; x++ {
					g, o := uint8(gray(row, x)>>8), y*pstride+4*x
					pix[o], pix[o+1], pix[o+2], pix[o+3] = g, g, g, row[x*spp+1]
				}
			}
			return img, nil
		}
		img := image.NewNRGBA64(rect)
		for y := 0; y < h; y++ {
			row := buf[y*stride:]
			for x := 0; x < w; x++ {
				g, a := gray(row, x), sample16(row, x*spp+1, bps)
				if assoc && a != 0 {
					g = uint16(min(0xFFFF, uint32(g)*0xFFFF/uint32(a)))
				}
				img.SetNRGBA64(x, y, color.NRGBA64{g, g, g, a})
			}
		}
		return img, nil
	case 2:
		alpha := spp == 4 && len(tp.extraSamples) > 0 && tp.extraSamples[0] != 0
		assoc := alpha && tp.extraSamples[0] == 1
		if bps == 8 && !alpha {
			img := image.NewRGBA(rect)
			for y := 0; y < h; y++ {
				row := buf[y*stride:]
				out := img.Pix[y*img.Stride:]
				for x := 0; x < w; x++ {
					copy(out[4*x:4*x+3], row[x*spp:x*spp+3])
					out[4*x+3] = 0xFF
				}
			}
			return img, nil
		}
		if bps == 8 && !assoc {
			img := image.NewNRGBA(rect)
			for y := 0; y < h; y++ {
				copy(img.Pix[y*img.Stride:y*img.Stride+4*w], buf[y*stride:y*stride+4*w])
			}
			return img, nil
		}
		if bps == 8 {
			img := image.NewRGBA(rect)
			for y := 0; y < h; y++ {
				copy(img.Pix[y*img.Stride:y*img.Stride+4*w], buf[y*stride:y*stride+4*w])
			}
			return img, nil
		}
		// 16 bits.
		if assoc {
			img := image.NewRGBA64(rect)
			for y := 0; y < h; y++ {
				row := buf[y*stride:]
				for x := 0; x < w; x++ {
					img.SetRGBA64(x, y, color.RGBA64{sample16(row, 4*x, 16), sample16(row, 4*x+1, 16), sample16(row, 4*x+2, 16), sample16(row, 4*x+3, 16)})
				}
			}
			return img, nil
		}
		img := image.NewNRGBA64(rect)
		for y := 0; y < h; y++ {
			row := buf[y*stride:]
			for x := 0; x < w; x++ {
				a := uint16(0xFFFF)
				if alpha {
					a = sample16(row, x*spp+3, 16)
				}
				img.SetNRGBA64(x, y, color.NRGBA64{sample16(row, x*spp, 16), sample16(row, x*spp+1, 16), sample16(row, x*spp+2, 16), a})
			}
		}
		return img, nil
	case 3:
		pal := make(color.Palette, len(tp.colorMap)/3)
		for i := range pal {
			pal[i] = color.RGBA64{tp.colorMap[3*i], tp.colorMap[3*i+1], tp.colorMap[3*i+2], 0xFFFF}
		}
		img := image.NewPaletted(rect, pal)
		for y := 0; y < h; y++ {
			row := buf[y*stride:]
			out := img.Pix[y*img.Stride:]
			for x := 0; x < w; x++ {
				if bps == 8 {
					out[x] = row[x]
				} else {
					out[x] = small(row, x)
				}
			}
		}
		return img, nil
	case 5:
		if bps != 8 || spp != 4 {
			break
		}
		img := image.NewCMYK(rect)
		for y := 0; y < h; y++ {
			copy(img.Pix[y*img.Stride:y*img.Stride+4*w], buf[y*stride:y*stride+4*w])
		}
		return img, nil
	}
	return nil, fmt.Errorf("TIFF page %d: PhotometricInterpretation %d with %d samples of %d bits cannot be decoded", p.Index+1, p.Photometric, spp, bps)
}

// allMax reports whether sample s of every pixel is at its maximum (an alpha opaque everywhere).
func allMax(buf []byte, stride, w, h, spp, s, bps int) bool {
	for y := 0; y < h; y++ {
		row := buf[y*stride:]
		for x := 0; x < w; x++ {
			if sample16(row, x*spp+s, bps) != 0xFFFF {
				return false
			}
		}
	}
	return true
}

// sample16 returns sample i of a row of 8- or 16-bit samples, scaled to 16 bits.
func sample16(row []byte, i, bps int) uint16 {
	if bps == 16 {
		return uint16(row[2*i])<<8 | uint16(row[2*i+1])
	}
	return uint16(row[i]) * 0x101
}
