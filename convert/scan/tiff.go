package scan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// TIFF tags read here.
const (
	tNewSubfileType  = 254
	tSubfileType     = 255
	tImageWidth      = 256
	tImageLength     = 257
	tBitsPerSample   = 258
	tCompression     = 259
	tPhotometric     = 262
	tFillOrder       = 266
	tStripOffsets    = 273
	tOrientation     = 274
	tSamplesPerPixel = 277
	tRowsPerStrip    = 278
	tStripByteCounts = 279
	tXResolution     = 282
	tYResolution     = 283
	tPlanarConfig    = 284
	tT4Options       = 292
	tT6Options       = 293
	tResolutionUnit  = 296
	tPredictor       = 317
	tColorMap        = 320
	tTileWidth       = 322
	tTileLength      = 323
	tTileOffsets     = 324
	tTileByteCounts  = 325
	tExtraSamples    = 338
	tSampleFormat    = 339
	tICCProfile      = 34675
)

// TIFF compression schemes.
const (
	cNone       = 1
	cCCITTRLE   = 2
	cG3         = 3
	cG4         = 4
	cLZW        = 5
	cOldJPEG    = 6
	cJPEG       = 7
	cDeflate    = 8
	cPackBits   = 32773
	cDeflateOld = 32946
)

func compressionName(c int) string {
	switch c {
	case cNone:
		return "uncompressed"
	case cCCITTRLE:
		return "CCITT modified Huffman (no EOL codes)"
	case cG3:
		return "CCITT Group 3"
	case cG4:
		return "CCITT Group 4"
	case cLZW:
		return "LZW"
	case cOldJPEG:
		return "old-style JPEG-in-TIFF"
	case cJPEG:
		return "JPEG-in-TIFF"
	case cDeflate, cDeflateOld:
		return "Deflate"
	case cPackBits:
		return "PackBits"
	case 32771:
		return "NeXT 2-bit RLE"
	case 32809:
		return "ThunderScan"
	case 34661:
		return "JBIG"
	case 34712:
		return "JPEG 2000"
	case 34925:
		return "LZMA"
	case 50000:
		return "Zstandard"
	case 50001:
		return "WebP"
	case 34676, 34677:
		return "SGI LogLuv"
	}
	return "unknown"
}

// tiffPage holds what decoding a TIFF page needs beyond the exported fields.
type tiffPage struct {
	bo           binary.ByteOrder
	bps, spp     int
	fillOrder    int
	predictor    int
	planar       int
	tiled        bool
	blockW       int // strip or tile width
	blockH       int // rows per strip or tile length
	extraSamples []uint64
	colorMap     []uint16 // 3 × 2^bps, red then green then blue, 8-bit colours as v×257
	t4           uint64
	tables       Range // JPEG-in-TIFF: JPEGTables without its SOI and EOI
}

// inspectTIFF walks the IFD chain.
func inspectTIFF(r io.ReaderAt, size int64) ([]Page, error) {
	t, off, err := newTIFFDir(r, size)
	if err != nil {
		if err.Error() == "BigTIFF not supported" {
			return nil, err
		}
		return nil, fmt.Errorf("TIFF: %v", err)
	}
	if off == 0 {
		return nil, errors.New("TIFF: the file has no pages (first IFD offset is 0)")
	}
	var pages []Page
	seen := map[int64]int{}
	for off != 0 {
		idx := len(pages)
		if idx >= maxPages {
			return nil, fmt.Errorf("TIFF: more than %d pages", maxPages)
		}
		if prev, ok := seen[off]; ok {
			return nil, fmt.Errorf("TIFF: the page chain loops (page %d points back to page %d)", idx, prev+1)
		}
		seen[off] = idx
		es, next, err := t.readIFD(off)
		if err != nil {
			return nil, tiffErr(idx, "directory", err)
		}
		p, err := tiffPageFrom(t, newTagMap(es), idx)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
		off = next
	}
	return pages, nil
}

func tiffErr(idx int, what string, err error) error {
	switch {
	case errors.Is(err, errTruncated):
		return fmt.Errorf("truncated TIFF: page %d: %s lies past the end of the file", idx+1, what)
	case errors.Is(err, errBudget):
		return fmt.Errorf("TIFF page %d: damaged file: %v", idx+1, err)
	}
	return fmt.Errorf("TIFF page %d: %s: %v", idx+1, what, err)
}

func tiffPageFrom(t *tiffDir, m tagMap, idx int) (Page, error) {
	p := Page{Index: idx, Format: "TIFF"}
	tp := &tiffPage{bo: t.bo}
	p.tiff = tp
	fail := func(format string, args ...any) (Page, error) {
		return Page{}, fmt.Errorf("TIFF page %d: %s", idx+1, fmt.Sprintf(format, args...))
	}
	// get returns a tag's first integer value, or def when absent.
	var getErr error
	get := func(tag uint16, def uint64) uint64 {
		e, ok := m[tag]
		if !ok {
			return def
		}
		v, err := t.uint1(e)
		if err != nil && getErr == nil {
			getErr = err
		}
		return v
	}
	w, h := get(tImageWidth, 0), get(tImageLength, 0)
	if getErr != nil {
		return fail("%v", getErr)
	}
	if _, ok := m[tImageWidth]; !ok {
		return fail("no ImageWidth tag")
	}
	if _, ok := m[tImageLength]; !ok {
		return fail("no ImageLength tag")
	}
	if w == 0 || h == 0 {
		return fail("image is empty (%d×%d pixels)", w, h)
	}
	if w > maxDimension || h > maxDimension {
		return fail("image is %d×%d pixels, more than the %d supported per side", w, h, maxDimension)
	}
	p.Width, p.Height = int(w), int(h)

	spp := get(tSamplesPerPixel, 1)
	if spp == 0 || spp > 16 {
		return fail("SamplesPerPixel %d is not supported", spp)
	}
	tp.spp = int(spp)
	tp.bps = 1
	if e, ok := m[tBitsPerSample]; ok {
		v, err := t.uints(e, 64, 64)
		if err != nil {
			return fail("%v", err)
		}
		if len(v) == 0 {
			return fail("BitsPerSample has no value")
		}
		for _, b := range v[1:] {
			if b != v[0] {
				return fail("samples have different bit depths %v", v)
			}
		}
		if v[0] == 0 || v[0] > 32 {
			return fail("BitsPerSample %d is not supported", v[0])
		}
		tp.bps = int(v[0])
	}
	p.BitsPerComponent = tp.bps
	p.Compression = int(get(tCompression, cNone))
	if p.Compression == 0 {
		p.Compression = cNone // some writers leave 0 for "none"
	}
	tp.fillOrder = int(get(tFillOrder, 1))
	tp.planar = int(get(tPlanarConfig, 1))
	tp.predictor = int(get(tPredictor, 1))
	tp.t4 = get(tT4Options, 0)
	t6 := get(tT6Options, 0)
	sampleFormat := get(tSampleFormat, 1)
	if getErr != nil {
		return fail("%v", getErr)
	}
	if tp.fillOrder != 1 && tp.fillOrder != 2 {
		p.problem("FillOrder %d is invalid: taken as 1", tp.fillOrder)
		tp.fillOrder = 1
	}
	p.ReverseBits = tp.fillOrder == 2
	if tp.planar != 1 && tp.planar != 2 {
		return fail("PlanarConfiguration %d is invalid", tp.planar)
	}
	if tp.spp == 1 {
		tp.planar = 1
	}
	if sub := get(tNewSubfileType, 0); sub&1 != 0 {
		p.Thumbnail = true
		p.problem("reduced-resolution image (a thumbnail or preview), not a page of the document")
	} else if get(tSubfileType, 1) == 2 {
		p.Thumbnail = true
		p.problem("reduced-resolution image (a thumbnail or preview), not a page of the document")
	}
	getErr = nil

	// Photometric interpretation.
	if _, ok := m[tPhotometric]; ok {
		p.Photometric = int(get(tPhotometric, 0))
	} else {
		switch {
		case tp.spp == 1 && tp.bps == 1:
			p.Photometric = 0
			p.problem("no PhotometricInterpretation tag: taken as WhiteIsZero (0), the fax convention")
		case tp.spp == 1:
			p.Photometric = 1
			p.problem("no PhotometricInterpretation tag: taken as BlackIsZero (1)")
		case tp.spp >= 3:
			p.Photometric = 2
			p.problem("no PhotometricInterpretation tag: taken as RGB (2)")
		default:
			return fail("no PhotometricInterpretation tag")
		}
	}
	if getErr != nil {
		return fail("%v", getErr)
	}
	if e, ok := m[tExtraSamples]; ok {
		v, err := t.uints(e, 16, 16)
		if err != nil {
			return fail("%v", err)
		}
		tp.extraSamples = v
	}

	// Resolution.
	p.tiffResolution(t, m)
	if e, ok := m[tOrientation]; ok {
		o, err := t.uint1(e)
		if err != nil {
			return fail("%v", err)
		}
		p.setOrientation(int(o), "TIFF")
	}
	if e, ok := m[tICCProfile]; ok {
		if e.typ == 7 || e.typ == 1 {
			b, err := t.data(e, 16<<20, 16<<20)
			if err != nil {
				p.problem("ICC profile unreadable: %v", err)
			} else if len(b) < 132 {
				p.problem("ICC profile is too short (%d bytes): ignored", len(b))
			} else {
				p.ICC = append([]byte(nil), b...)
			}
		}
	}

	// Strips or tiles.
	if err := p.tiffBlocks(t, m); err != nil {
		return Page{}, err
	}

	// Colour description.
	switch p.Photometric {
	case 0, 1:
		p.ColorSpace = "DeviceGray"
	case 2:
		p.ColorSpace = "DeviceRGB"
		p.Color = true
	case 3:
		p.ColorSpace = "Indexed"
		e, ok := m[tColorMap]
		if !ok {
			return fail("palette image without a ColorMap")
		}
		if tp.bps > 8 {
			return fail("palette image with %d bits per sample is not supported", tp.bps)
		}
		n := uint64(3) << tp.bps
		v, err := t.uints(e, n, n)
		if err != nil {
			return fail("%v", err)
		}
		if uint64(len(v)) != n {
			return fail("ColorMap has %d values, %d expected", len(v), n)
		}
		tp.colorMap = make([]uint16, n)
		p.Palette = make([]byte, n)
		k := int(n / 3)
		colour := colorMapColour(v)
		for i := 0; i < k; i++ {
			for c := 0; c < 3; c++ {
				tp.colorMap[3*i+c] = colour(v[c*k+i])
				p.Palette[3*i+c] = byte(tp.colorMap[3*i+c] >> 8)
			}
		}
		p.Color = !grayPalette(p.Palette)
	case 5:
		p.ColorSpace = "DeviceCMYK"
		p.Color = true
	case 4:
		return fail("transparency mask (PhotometricInterpretation 4) is not a page")
	case 6:
		if p.Compression != cJPEG && p.Compression != cOldJPEG {
			return fail("YCbCr colour (PhotometricInterpretation 6) without JPEG compression is not supported")
		}
		p.ColorSpace = "DeviceRGB"
		p.Color = true
	case 8, 9, 10:
		return fail("CIE L*a*b* colour (PhotometricInterpretation %d) is not supported", p.Photometric)
	default:
		return fail("PhotometricInterpretation %d is not supported", p.Photometric)
	}

	bilevelPix := tp.bps == 1 && tp.spp == 1 && (p.Photometric == 0 || p.Photometric == 1)
	p.Bilevel = bilevelPix || (tp.bps == 1 && tp.spp == 1 && p.Photometric == 3 && !p.Color)
	comp := p.Compression
	switch comp {
	case cOldJPEG:
		return fail("compression %d (%s) is not supported", comp, compressionName(comp))
	case cJPEG:
		if err := p.tiffJPEG(t, m); err != nil {
			return fail("%v", err)
		}
	case cCCITTRLE, cG3, cG4:
		if tp.bps != 1 || tp.spp != 1 {
			return fail("CCITT compression with %d samples of %d bits is invalid", tp.spp, tp.bps)
		}
		if comp == cG3 && tp.t4&2 != 0 {
			return fail("CCITT Group 3 uncompressed mode (T4Options bit 1) is not supported")
		}
		if tp.predictor != 1 {
			p.problem("Predictor %d ignored for CCITT compression", tp.predictor)
			tp.predictor = 1
		}
		if !bilevelPix {
			p.Kind = Decode
			p.problem("1-bit palette image: must be decoded and re-encoded")
			break
		}
		if comp == cG4 && len(p.Strips) == 1 && !tp.tiled && t6&2 == 0 {
			p.Kind = G4
			p.Ranges = []Range{{p.Strips[0].Off, p.Strips[0].Len}}
			p.Filter = "CCITTFaxDecode"
			p.DecodeParms = map[string]any{
				"K":        -1,
				"Columns":  p.Width,
				"Rows":     p.Height,
				"BlackIs1": p.Photometric == 1,
			}
			break
		}
		p.Kind = Bilevel
		switch {
		case comp == cG3:
			p.problem("CCITT Group 3: must be re-encoded as Group 4")
		case comp == cCCITTRLE:
			p.problem("CCITT modified Huffman (Compression 2): must be re-encoded as Group 4")
		case tp.tiled:
			p.problem("CCITT Group 4 in %d tiles: tiles cannot be joined into one CCITT stream; must be re-encoded", len(p.Strips))
		case t6&2 != 0:
			p.problem("CCITT Group 4 with uncompressed mode allowed (T6Options bit 1): must be re-encoded")
		default:
			p.problem("CCITT Group 4 in %d strips: strips cannot be joined into one CCITT stream; must be re-encoded into one strip", len(p.Strips))
		}
	case cNone, cLZW, cPackBits, cDeflate, cDeflateOld:
		if err := p.checkDecodable(sampleFormat); err != nil {
			return fail("%v", err)
		}
		if bilevelPix {
			p.Kind = Bilevel
			p.problem("1-bit %s: must be re-encoded as CCITT Group 4", compressionName(comp))
		} else {
			p.Kind = Decode
			p.problem("%s %d-bit %s: must be decoded and re-encoded losslessly", compressionName(comp), tp.bps, p.ColorSpace)
		}
	default:
		return fail("compression %d (%s) is not supported", comp, compressionName(comp))
	}
	return p, nil
}

// colorMapColour reads a ColorMap's values as its writer meant them, as libtiff does: all
// under 256, 8-bit values (old writers); every low byte 0 (v×256, as Pillow writes) or equal to
// its high byte (v×257), 8-bit values in the high byte; otherwise 16-bit colours. 8-bit values
// come out ×257, exact in 16 bits.
func colorMapColour(v []uint64) func(uint64) uint16 {
	under, low0, same := true, true, true
	for _, x := range v {
		under = under && x < 256
		low0 = low0 && x&0xFF == 0
		same = same && x&0xFF == x>>8&0xFF
	}
	switch {
	case under:
		return func(x uint64) uint16 { return uint16(x) * 0x101 }
	case low0 || same:
		return func(x uint64) uint16 { return uint16(x>>8) * 0x101 }
	}
	return func(x uint64) uint16 { return uint16(x) }
}

// checkDecodable rejects sample layouts that DecodeImage cannot handle.
func (p *Page) checkDecodable(sampleFormat uint64) error {
	tp := p.tiff
	if sampleFormat != 1 {
		return fmt.Errorf("SampleFormat %d (signed or floating-point samples) is not supported", sampleFormat)
	}
	switch tp.bps {
	case 1, 2, 4, 8, 16:
	default:
		return fmt.Errorf("%d bits per sample is not supported", tp.bps)
	}
	switch tp.predictor {
	case 1:
	case 2:
		if tp.bps != 8 && tp.bps != 16 {
			return fmt.Errorf("horizontal predictor with %d bits per sample is not supported", tp.bps)
		}
	default:
		return fmt.Errorf("Predictor %d is not supported", tp.predictor)
	}
	need := 1
	switch p.Photometric {
	case 2:
		need = 3
	case 5:
		need = 4
		if tp.bps != 8 {
			return fmt.Errorf("CMYK with %d bits per sample is not supported", tp.bps)
		}
	case 3:
		if tp.spp != 1 {
			return fmt.Errorf("palette image with %d samples per pixel is not supported", tp.spp)
		}
	}
	if tp.spp < need {
		return fmt.Errorf("%d samples per pixel is too few for PhotometricInterpretation %d", tp.spp, p.Photometric)
	}
	if tp.spp > need+1 {
		return fmt.Errorf("%d samples per pixel is not supported for PhotometricInterpretation %d", tp.spp, p.Photometric)
	}
	if tp.spp == need+1 && p.Photometric == 5 {
		return fmt.Errorf("CMYK with an extra sample is not supported")
	}
	if tp.spp > 1 && tp.bps < 8 {
		return fmt.Errorf("%d samples of %d bits per pixel is not supported", tp.spp, tp.bps)
	}
	if tp.spp == need+1 {
		if len(tp.extraSamples) == 0 || tp.extraSamples[0] == 0 {
			p.problem("an extra sample of unspecified meaning (ExtraSamples 0): left out")
		} else {
			p.problem("an alpha channel: left out if opaque everywhere; any transparency needs PDF/A-2b")
		}
	}
	return nil
}

func grayPalette(pal []byte) bool {
	for i := 0; i+2 < len(pal); i += 3 {
		if pal[i] != pal[i+1] || pal[i] != pal[i+2] {
			return false
		}
	}
	return true
}

// tiffResolution sets the DPI from XResolution, YResolution, ResolutionUnit.
func (p *Page) tiffResolution(t *tiffDir, m tagMap) {
	ex, okx := m[tXResolution]
	ey, oky := m[tYResolution]
	if !okx && !oky {
		p.problem("no DPI in the file")
		return
	}
	if !okx || !oky {
		p.problem("only one of XResolution and YResolution is present: no DPI")
		return
	}
	x, err := t.real(ex)
	if err != nil {
		p.problem("XResolution unreadable: %v", err)
		return
	}
	y, err := t.real(ey)
	if err != nil {
		p.problem("YResolution unreadable: %v", err)
		return
	}
	unit := uint64(2)
	if e, ok := m[tResolutionUnit]; ok {
		if unit, err = t.uint1(e); err != nil {
			p.problem("ResolutionUnit unreadable: %v", err)
			return
		}
	}
	switch unit {
	case 2:
	case 3:
		x, y = x*2.54, y*2.54
	case 1:
		p.problem("ResolutionUnit 1 (no absolute unit): no DPI")
		return
	default:
		p.problem("ResolutionUnit %d is invalid: no DPI", unit)
		return
	}
	p.setDPI(x, y)
}

// tiffBlocks reads the strip or tile tables and checks them against the file.
func (p *Page) tiffBlocks(t *tiffDir, m tagMap) error {
	tp := p.tiff
	fail := func(format string, args ...any) error {
		return fmt.Errorf("TIFF page %d: %s", p.Index+1, fmt.Sprintf(format, args...))
	}
	var across, down int
	offTag, cntTag, what := uint16(tStripOffsets), uint16(tStripByteCounts), "strip"
	if _, ok := m[tTileWidth]; ok {
		tp.tiled = true
		offTag, cntTag, what = tTileOffsets, tTileByteCounts, "tile"
		tw, err := t.uint1(m[tTileWidth])
		if err != nil {
			return fail("%v", err)
		}
		e, ok := m[tTileLength]
		if !ok {
			return fail("tiled image without TileLength")
		}
		th, err := t.uint1(e)
		if err != nil {
			return fail("%v", err)
		}
		if tw == 0 || th == 0 || tw > maxDimension || th > maxDimension {
			return fail("tile size %d×%d is invalid", tw, th)
		}
		if tw%8 != 0 && tp.bps*tp.spp < 8 {
			return fail("tile width %d is not a multiple of 8", tw)
		}
		tp.blockW, tp.blockH = int(tw), int(th)
		across = (p.Width + tp.blockW - 1) / tp.blockW
		down = (p.Height + tp.blockH - 1) / tp.blockH
		p.problem("tiled image (%d×%d tiles): must be re-encoded", tp.blockW, tp.blockH)
	} else {
		rps := uint64(math.MaxUint32)
		if e, ok := m[tRowsPerStrip]; ok {
			v, err := t.uint1(e)
			if err != nil {
				return fail("%v", err)
			}
			rps = v
		}
		if rps == 0 {
			return fail("RowsPerStrip is 0")
		}
		if rps > uint64(p.Height) {
			rps = uint64(p.Height)
		}
		tp.blockW, tp.blockH = p.Width, int(rps)
		across = 1
		down = (p.Height + tp.blockH - 1) / tp.blockH
	}
	n := across * down
	planes := 1
	if tp.planar == 2 {
		planes = tp.spp
	}
	n *= planes
	if n > maxStrips {
		return fail("%d %ss, more than the %d supported", n, what, maxStrips)
	}
	eo, ok := m[offTag]
	if !ok {
		return fail("no %s offsets", what)
	}
	offs, err := t.uints(eo, math.MaxUint32, uint64(n))
	if err != nil {
		return tiffErr(p.Index, what+" offsets", err)
	}
	if len(offs) < n {
		return fail("%d %s offsets for %d %ss", len(offs), what, n, what)
	}
	var cnts []uint64
	if ec, ok := m[cntTag]; ok {
		cnts, err = t.uints(ec, math.MaxUint32, uint64(n))
		if err != nil {
			return tiffErr(p.Index, what+" byte counts", err)
		}
		if len(cnts) < n {
			return fail("%d %s byte counts for %d %ss", len(cnts), what, n, what)
		}
	} else if p.Compression == cNone && !tp.tiled {
		// Uncompressed: the counts follow from the geometry.
		cnts = make([]uint64, n)
		rowBytes := uint64(rowBytes(p.Width, tp.bps, tp.spp/planes))
		for i := range cnts {
			rows := uint64(tp.blockH)
			if y := (i % down) * tp.blockH; y+tp.blockH > p.Height {
				rows = uint64(p.Height - y)
			}
			cnts[i] = rowBytes * rows
		}
		p.problem("no StripByteCounts tag: computed from the image size")
	} else {
		return fail("no %s byte counts", what)
	}
	p.Strips = make([]Strip, n)
	for i := 0; i < n; i++ {
		o, c := int64(offs[i]), int64(cnts[i])
		if o > t.size || c > t.size-o {
			return fmt.Errorf("truncated TIFF: page %d: %s %d of %d runs past the end of the file", p.Index+1, what, i+1, n)
		}
		if c == 0 {
			p.problem("%s %d of %d is empty", what, i+1, n)
		}
		k := i % (across * down)
		x, y := (k%across)*tp.blockW, (k/across)*tp.blockH
		p.Strips[i] = Strip{Off: o, Len: c, X: x, Y: y, W: min(tp.blockW, p.Width-x), H: min(tp.blockH, p.Height-y)}
	}
	return nil
}

// rowBytes is the size of one row of w pixels of spp samples of bps bits.
func rowBytes(w, bps, spp int) int { return (w*bps*spp + 7) / 8 }
