package scan

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

const pngMagic = "\x89PNG\r\n\x1a\n"

// inspectPNG walks the chunks of a PNG file, checking every CRC. IDAT data
// is read for its CRC only, never inflated.
func inspectPNG(r io.ReaderAt, size int64) (Page, error) {
	p := Page{Format: "PNG"}
	var (
		off                     = int64(8)
		ihdr                    bool
		depth, ctype, interlace int
		plte                    []byte
		trns, iend              bool
		idatDone                bool
		hdr                     [8]byte
		small                   []byte
		physX, physY            uint32
		physUnit                = -1
		gamma                   uint32 // gAMA: the encoding gamma × 100 000, 0 without one
		srgb                    bool
	)
	crcBuf := make([]byte, 32<<10)
	for !iend {
		if err := readAt(r, size, hdr[:], off); err != nil {
			if !ihdr {
				return Page{}, errors.New("truncated PNG: no IHDR chunk")
			}
			if len(p.Ranges) == 0 {
				return Page{}, errors.New("truncated PNG: no IDAT chunk (no image data)")
			}
			return Page{}, errors.New("truncated PNG: no IEND chunk (the file ends early)")
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		typ := string(hdr[4:8])
		if !validChunkType(hdr[4:8]) {
			return Page{}, fmt.Errorf("PNG: damaged chunk header at offset %d", off)
		}
		if n > 1<<31-1 {
			return Page{}, fmt.Errorf("PNG: %s chunk length %d is invalid", typ, n)
		}
		data := off + 8
		if n+4 > size-data {
			return Page{}, fmt.Errorf("truncated PNG: %s chunk ends past the end of the file", typ)
		}
		if !ihdr && typ != "IHDR" {
			return Page{}, fmt.Errorf("PNG: the first chunk is %s, not IHDR", typ)
		}
		// Small chunks that are parsed are read whole; others are streamed
		// through the CRC.
		keep := false
		switch typ {
		case "IHDR", "PLTE", "tRNS", "pHYs", "iCCP", "gAMA", "IEND":
			keep = true
		}
		crc := crc32.NewIEEE()
		crc.Write(hdr[4:8])
		if keep {
			if n > 16<<20 {
				return Page{}, fmt.Errorf("PNG: %s chunk of %d bytes is too large", typ, n)
			}
			if int64(cap(small)) < n {
				small = make([]byte, n)
			}
			small = small[:n]
			if err := readAt(r, size, small, data); err != nil {
				return Page{}, fmt.Errorf("PNG: reading %s: %v", typ, err)
			}
			crc.Write(small)
		} else {
			for done := int64(0); done < n; {
				k := min(int64(len(crcBuf)), n-done)
				if err := readAt(r, size, crcBuf[:k], data+done); err != nil {
					return Page{}, fmt.Errorf("PNG: reading %s: %v", typ, err)
				}
				crc.Write(crcBuf[:k])
				done += k
			}
		}
		var cb [4]byte
		if err := readAt(r, size, cb[:], data+n); err != nil {
			return Page{}, fmt.Errorf("truncated PNG: %s chunk has no CRC", typ)
		}
		if crc.Sum32() != binary.BigEndian.Uint32(cb[:]) {
			return Page{}, fmt.Errorf("PNG: bad CRC in %s", typ)
		}
		critical := hdr[4]&0x20 == 0
		if typ != "IDAT" && len(p.Ranges) > 0 {
			idatDone = true
		}
		switch typ {
		case "IHDR":
			if ihdr {
				return Page{}, errors.New("PNG: two IHDR chunks")
			}
			if n != 13 {
				return Page{}, errors.New("PNG: IHDR chunk has the wrong length")
			}
			ihdr = true
			w, h := binary.BigEndian.Uint32(small), binary.BigEndian.Uint32(small[4:])
			depth, ctype, interlace = int(small[8]), int(small[9]), int(small[12])
			if w == 0 || h == 0 {
				return Page{}, fmt.Errorf("PNG: image is empty (%d×%d pixels)", w, h)
			}
			if w > maxDimension || h > maxDimension {
				return Page{}, fmt.Errorf("PNG: image is %d×%d pixels, more than the %d supported per side", w, h, maxDimension)
			}
			p.Width, p.Height = int(w), int(h)
			if !validPNGDepth(ctype, depth) {
				return Page{}, fmt.Errorf("PNG: colour type %d with bit depth %d is invalid", ctype, depth)
			}
			if small[10] != 0 || small[11] != 0 {
				return Page{}, errors.New("PNG: unknown compression or filter method")
			}
			if interlace > 1 {
				return Page{}, fmt.Errorf("PNG: interlace method %d is invalid", interlace)
			}
		case "PLTE":
			if plte != nil {
				return Page{}, errors.New("PNG: two PLTE chunks")
			}
			if n == 0 || n%3 != 0 || n > 768 || (ctype == 3 && n/3 > 1<<depth) {
				return Page{}, fmt.Errorf("PNG: PLTE chunk has an invalid length %d", n)
			}
			if len(p.Ranges) > 0 {
				return Page{}, errors.New("PNG: PLTE chunk after the image data")
			}
			plte = append([]byte(nil), small...)
		case "tRNS":
			trns = true
		case "gAMA":
			if n == 4 {
				gamma = binary.BigEndian.Uint32(small)
			}
		case "sRGB":
			srgb = true
		case "pHYs":
			if n == 9 {
				physX, physY = binary.BigEndian.Uint32(small), binary.BigEndian.Uint32(small[4:])
				physUnit = int(small[8])
			} else {
				p.problem("pHYs chunk has the wrong length: ignored")
			}
		case "iCCP":
			p.ICC = pngICC(&p, small)
		case "IDAT":
			if idatDone {
				return Page{}, errors.New("PNG: IDAT chunks are not consecutive")
			}
			if n > 0 {
				if len(p.Ranges) >= (1 << 24) {
					return Page{}, errors.New("PNG: too many IDAT chunks")
				}
				p.Ranges = append(p.Ranges, Range{data, n})
			}
		case "IEND":
			iend = true
		default:
			if critical {
				return Page{}, fmt.Errorf("PNG: unknown critical chunk %s", typ)
			}
		}
		off = data + n + 4
	}
	if len(p.Ranges) == 0 {
		return Page{}, errors.New("PNG: no image data (no IDAT chunk)")
	}
	if ctype == 3 && plte == nil {
		return Page{}, errors.New("PNG: palette image without a PLTE chunk")
	}
	if off < size {
		p.problem("%d bytes after the PNG end chunk", size-off)
	}
	// gAMA without sRGB or a profile says the samples are not sRGB's (1/2.2 = 0.45455); they
	// are kept, and shown under the document's sRGB intent
	if gamma != 0 && !srgb && p.ICC == nil && (gamma < 44000 || gamma > 47000) {
		p.problem("gAMA gives an encoding gamma of %.5g, not sRGB's 0.45455: the samples are kept as they are and shown as sRGB, lighter or darker than a colour-managed viewer shows the PNG", float64(gamma)/100000)
	}
	switch physUnit {
	case 1:
		p.setDPI(float64(physX)*0.0254, float64(physY)*0.0254)
	case -1:
		p.problem("no DPI in the file")
	case 0:
		p.problem("pHYs gives only the pixel aspect ratio: no DPI")
	default:
		p.problem("pHYs unit %d is invalid: no DPI", physUnit)
	}

	p.BitsPerComponent = depth
	colors := 1
	switch ctype {
	case 0:
		p.ColorSpace = "DeviceGray"
		p.Bilevel = depth == 1
	case 2:
		p.ColorSpace = "DeviceRGB"
		p.Color = true
		colors = 3
	case 3:
		p.ColorSpace = "Indexed"
		p.Palette = plte
		p.Color = !grayPalette(plte)
		p.Bilevel = depth == 1 && !p.Color
	case 4:
		p.ColorSpace = "DeviceGray"
		colors = 2
	case 6:
		p.ColorSpace = "DeviceRGB"
		p.Color = true
		colors = 4
	}
	p.Kind = PNGFlate
	switch {
	case ctype == 4 || ctype == 6:
		p.Kind = Decode
		p.problem("alpha channel: must be decoded (PDF/A-1 forbids transparency)")
	case trns:
		p.Kind = Decode
		p.problem("transparency (tRNS): must be decoded (PDF/A-1 forbids transparency)")
	case interlace == 1:
		p.Kind = Decode
		p.problem("interlaced (Adam7): must be decoded and re-encoded losslessly")
	}
	if p.Kind == PNGFlate {
		p.Filter = "FlateDecode"
		p.DecodeParms = map[string]any{
			"Predictor":        15,
			"Colors":           colors,
			"BitsPerComponent": depth,
			"Columns":          p.Width,
		}
		if depth == 16 {
			p.problem("16-bit: PDF/A-1 needs a re-encode")
		}
	} else {
		p.Ranges = nil
	}
	return p, nil
}

func validChunkType(t []byte) bool {
	for _, c := range t {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func validPNGDepth(ctype, depth int) bool {
	switch ctype {
	case 0:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case 3:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	case 2, 4, 6:
		return depth == 8 || depth == 16
	}
	return false
}

// pngICC decompresses an iCCP chunk (at most maxICC bytes).
func pngICC(p *Page, b []byte) []byte {
	i := bytes.IndexByte(b, 0)
	if i < 1 || i > 79 || i+2 > len(b) {
		p.problem("iCCP chunk is damaged: profile ignored")
		return nil
	}
	if b[i+1] != 0 {
		p.problem("iCCP compression method %d is unknown: profile ignored", b[i+1])
		return nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(b[i+2:]))
	if err != nil {
		p.problem("iCCP profile does not decompress (%v): ignored", err)
		return nil
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxICC+1))
	if err != nil {
		p.problem("iCCP profile does not decompress (%v): ignored", err)
		return nil
	}
	if len(out) > maxICC {
		p.problem("iCCP profile is larger than %d bytes: ignored", maxICC)
		return nil
	}
	if len(out) < 132 {
		p.problem("ICC profile is too short (%d bytes): ignored", len(out))
		return nil
	}
	return out
}
