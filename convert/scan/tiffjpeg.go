package scan

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
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
	var want string // the colour space, and the Adobe transform the data must have
	transform := -1
	switch {
	case (p.Photometric == 0 || p.Photometric == 1) && tp.spp == 1:
		want = "DeviceGray"
	case p.Photometric == 2 && tp.spp == 3:
		want, transform = "DeviceRGB", 0
	case p.Photometric == 6 && tp.spp == 3:
		want, transform = "DeviceRGB", 1
	default:
		return fmt.Errorf("JPEG-in-TIFF with PhotometricInterpretation %d and %d samples per pixel is not supported", p.Photometric, tp.spp)
	}
	// a block larger than the page would draw (and make readers decode) what is not there
	if tp.blockW > maxJPEGSide || tp.blockH > maxJPEGSide || int64(tp.blockW)*int64(tp.blockH) > 2*int64(p.Width)*int64(p.Height)+1<<20 {
		return fmt.Errorf("JPEG-in-TIFF blocks of %d×%d pixels are too large for a page of %d×%d", tp.blockW, tp.blockH, p.Width, p.Height)
	}
	var known jpegTables
	if e, ok := m[tJPEGTables]; ok {
		n := int64(e.count) * tiffTypeSize(e.typ)
		if n <= 4 || n > maxJPEGTables {
			return fmt.Errorf("JPEGTables of %d bytes (at most %d)", n, maxJPEGTables)
		}
		tables, err := t.data(e, maxJPEGTables, maxJPEGTables)
		if err != nil {
			return fmt.Errorf("JPEGTables: %v", err)
		}
		if known, err = parseJPEGTables(tables); err != nil {
			return err
		}
		tp.tables = Range{int64(t.bo.Uint32(e.raw[:])) + 2, n - 4}
		// every block repeats them in the PDF
		if int64(len(p.Strips))*tp.tables.Len > maxRepeatedTables {
			return fmt.Errorf("JPEGTables of %d bytes repeated for %d blocks: over %d MiB of tables for one page", tp.tables.Len, len(p.Strips), maxRepeatedTables>>20)
		}
	}
	switch p.Photometric {
	case 0:
		p.DecodeArray = []float64{1, 0} // WhiteIsZero
	case 2, 6:
		p.DecodeParms = map[string]any{"ColorTransform": transform}
	}
	blocks := make([]Block, 0, len(p.Strips))
	for i, s := range p.Strips {
		var r io.ReaderAt = io.NewSectionReader(t.r, s.Off, s.Len)
		if b, ok := t.r.(Bytes); ok {
			r = b[s.Off : s.Off+s.Len] // scanned where it lies
		}
		var soi [2]byte
		if readAt(r, s.Len, soi[:], 0) != nil || soi != [2]byte{0xFF, 0xD8} {
			return fmt.Errorf("block %d is not a JPEG stream (no SOI marker)", i+1)
		}
		jp, ji, err := inspectJPEGWith(r, s.Len, known)
		if err != nil {
			return fmt.Errorf("block %d: %v", i+1, err)
		}
		// a block is the block size, but the last strip, which may stop at the page's end
		if jp.Width != tp.blockW || (jp.Height != tp.blockH && jp.Height != s.H) || jp.ColorSpace != want {
			return fmt.Errorf("block %d is a %d×%d %s JPEG stream, not %d×%d %s", i+1, jp.Width, jp.Height, jp.ColorSpace, tp.blockW, tp.blockH, want)
		}
		if ji.adobe && transform >= 0 && ji.transform != transform {
			return fmt.Errorf("block %d: its Adobe marker says colour transform %d, PhotometricInterpretation %d says %d", i+1, ji.transform, p.Photometric, transform)
		}
		for _, pr := range jp.Problems {
			if strings.Contains(pr, "end marker") || strings.Contains(pr, "extraneous") {
				p.problem("block %d: %s", i+1, pr)
			}
		}
		ranges := []Range{{s.Off, 2}}
		if tp.tables.Len > 0 {
			ranges = append(ranges, tp.tables)
		}
		blocks = append(blocks, Block{Ranges: append(ranges, Range{s.Off + 2, jp.Ranges[0].Len - 2}), X: s.X, Y: s.Y, W: jp.Width, H: jp.Height})
	}
	p.Kind, p.Filter, p.ReverseBits = JPEG, "DCTDecode", false // FillOrder does not apply to JPEG data
	if b := blocks[0]; len(blocks) == 1 && b.W == p.Width && b.H == p.Height {
		p.Ranges = b.Ranges // one stream, the page's image
		return nil
	}
	p.Blocks = blocks
	p.Problems = slices.DeleteFunc(p.Problems, func(s string) bool { return strings.HasPrefix(s, "tiled image") }) // not re-encoded
	p.problem("JPEG-in-TIFF in %d blocks (strips or tiles): each passes through as an image of its own", len(blocks))
	return nil
}

const (
	maxJPEGSide       = 65500    // pixels: what JPEG decoders take
	maxJPEGTables     = 64 << 10 // real ones are under 2 KB
	maxRepeatedTables = 64 << 20
)

// parseJPEGTables reads a JPEGTables stream (SOI, DQT and DHT segments, EOI) for the tables
// it defines.
func parseJPEGTables(b []byte) (jpegTables, error) {
	var jt jpegTables
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return jt, errors.New("JPEGTables is not a JPEG tables stream (no SOI)")
	}
	for i := 2; ; {
		switch {
		case i+2 > len(b):
			return jt, errors.New("JPEGTables has no EOI")
		case b[i] != 0xFF:
			return jt, errors.New("JPEGTables is damaged (bytes between its segments)")
		case b[i+1] == 0xFF:
			i++ // fill byte
			continue
		case b[i+1] == 0xD9:
			return jt, nil
		}
		if i+4 > len(b) {
			return jt, errors.New("JPEGTables is truncated")
		}
		m, n := b[i+1], int(b[i+2])<<8|int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return jt, errors.New("JPEGTables is truncated")
		}
		if m == 0xDB || m == 0xC4 {
			if err := jt.define(m, b[i+4:i+2+n]); err != nil {
				return jt, fmt.Errorf("JPEGTables: %v", err)
			}
		}
		i += 2 + n
	}
}
