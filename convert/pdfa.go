// Package convert turns scanned paper archives into archival PDF documents: each page's image
// embedded losslessly (the scanner's bytes where the PDF can hold them as they are), PDF/A-2b or
// PDF/A-1b, with the archival metadata (CONVERT.md).
package convert

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	_ "embed"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"io"
	"maps"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/vbdt/vbdt/convert/scan"
	"github.com/vbdt/vbdt/internal/ccitt"
	"github.com/vbdt/vbdt/internal/pdf"
)

//go:embed icc/sRGB.icc
var sRGB []byte

// Part is the PDF/A part and conformance written.
type Part string

const (
	PDFA2B Part = "2b" // PDF 1.7: 16-bit and transparency allowed
	PDFA1B Part = "1b" // PDF 1.4, the widest-read archival profile
)

// Image is one page to embed: a page of an image file.
type Image struct {
	Path string
	Page scan.Page
	// data is the file's bytes when they were read whole, nil when they are read from Path.
	data *fileBytes
	// DPI replaces the image's own when it has none (0: the image must say).
	DPI float64
}

// Meta is what the PDF itself says of the document (the archival fields go in the sidecar).
type Meta struct {
	Title    string
	Producer string
	// Time is the document's creation date; the same inputs and Time give the same bytes.
	Time time.Time
}

// PageResult says how a page was embedded.
type PageResult struct {
	Path  string  `json:"path"` // "passthrough DCTDecode", "passthrough DCTDecode, an image per block", "passthrough CCITTFaxDecode", "passthrough FlateDecode", "re-encoded G4", "re-encoded Flate"
	Bytes int64   `json:"bytes"`
	DPI   float64 `json:"dpi"`
}

// Pages calls fn with each page of a document in turn; the images of a page need only stay
// readable until fn returns.
type Pages func(fn func(Image) error) error

// Write writes one archival PDF of the pages to w, as they come, and says how each page went in.
// meta is read after the last page (a caller may learn its time from the pages).
func Write(w io.Writer, pages Pages, meta *Meta, part Part) ([]PageResult, error) {
	version := "1.7"
	if part == PDFA1B {
		version = "1.4"
	}
	pw := pdf.NewWriter(w, version)
	pagesRef := pw.Reserve()
	var kids []pdf.Ref // a page's reference, not its dictionary, is kept to the end
	var results []PageResult
	id := sha256.New()
	files := &openFiles{}
	defer files.close()
	// Pages are written in order; a bilevel page to re-encode is decoded and encoded ahead, on
	// another core, while the pages before it are written.
	var queue []pending
	flush := func(keep int) error {
		for len(queue) > keep {
			var err error
			pd := queue[0]
			queue = queue[1:]
			i := len(results)
			var src io.ReaderAt = bytes.NewReader(pd.im.data.bytes())
			if pd.im.data == nil {
				if src, err = files.open(pd.im.Path); err != nil {
					return pageError(pd.im, err)
				}
			}
			res, page, err := writePage(pw, pagesRef, src, pd, part)
			pd.im.data.release()
			if err != nil {
				return pageError(pd.im, err)
			}
			fmt.Fprintf(id, "%d:%s:%d\n", i, res.Path, res.Bytes)
			kids = append(kids, page)
			results = append(results, res)
		}
		return nil
	}
	err := pages(func(im Image) error {
		pd := pending{im: im}
		if im.Page.Kind == scan.Bilevel {
			pd.g4 = make(chan encoded, 1)
			go func() { pd.g4 <- encodeBilevel(im) }()
		}
		queue = append(queue, pd)
		return flush(lookahead)
	})
	if err == nil {
		err = flush(0)
	}
	for _, pd := range queue { // stopped early: let the encoders finish
		if pd.g4 != nil {
			<-pd.g4
		}
	}
	if err != nil {
		return nil, err
	}
	refs := make(types.Array, len(kids))
	for i, k := range kids {
		refs[i] = ref(k)
	}
	pw.Put(pagesRef, types.Dict{"Type": types.Name("Pages"), "Kids": refs, "Count": types.Integer(len(kids))})
	icc, err := pw.AddStream(types.Dict{"N": types.Integer(3)}, sRGB)
	if err != nil {
		return nil, err
	}
	intent := pw.Add(types.Dict{"Type": types.Name("OutputIntent"), "S": types.Name("GTS_PDFA1"),
		"OutputConditionIdentifier": types.StringLiteral("sRGB IEC61966-2.1"), "Info": types.StringLiteral("sRGB IEC61966-2.1"),
		"DestOutputProfile": ref(icc)})
	t := meta.Time.Truncate(time.Second)
	xmp := xmpPacket(*meta, t, part)
	md, err := pw.AddStream(types.Dict{"Type": types.Name("Metadata"), "Subtype": types.Name("XML")}, xmp)
	if err != nil {
		return nil, err
	}
	catalog := pw.Add(types.Dict{"Type": types.Name("Catalog"), "Pages": ref(pagesRef), "Metadata": ref(md),
		"OutputIntents": types.Array{ref(intent)}})
	info := pw.Add(types.Dict{"Title": pdf.TextString(meta.Title), "Producer": pdf.TextString(meta.Producer),
		"Creator": pdf.TextString(meta.Producer), "CreationDate": types.StringLiteral(pdf.Date(t)), "ModDate": types.StringLiteral(pdf.Date(t))})
	id.Write(xmp)
	sum := id.Sum(nil)[:16]
	return results, pw.Close(catalog, &info, [2][]byte{sum, sum})
}

func ref(r pdf.Ref) types.IndirectRef { return *types.NewIndirectRef(r.Num, r.Gen) }

// pageError names the file and page of a page that could not be written: pages are written
// behind the reading, so the file being read may be another.
func pageError(im Image, err error) error {
	if strings.HasPrefix(err.Error(), fmt.Sprintf("TIFF page %d: ", im.Page.Index+1)) { // it says which
		return fmt.Errorf("%s: %w", im.Path, err)
	}
	return fmt.Errorf("%s: page %d: %w", im.Path, im.Page.Index+1, err)
}

// lookahead is how many pages are prepared ahead of the one being written.
const lookahead = 2

// pending is a page to write, with its re-encoding under way when it needs one.
type pending struct {
	im Image
	g4 chan encoded
}

// encoded is a bilevel page re-encoded to G4.
type encoded struct {
	data          []byte
	width, height int
	err           error
}

// encodeBilevel decodes a bilevel page and encodes it to one G4 stream, losslessly.
func encodeBilevel(im Image) encoded {
	var src io.ReaderAt = bytes.NewReader(im.data.bytes())
	if im.data == nil {
		f, err := os.Open(im.Path)
		if err != nil {
			return encoded{err: err}
		}
		defer f.Close()
		src = f
	}
	rows, width, height, err := scan.DecodeBilevel(src, im.Page)
	if err != nil {
		return encoded{err: err}
	}
	var g4 bytes.Buffer
	g4.Grow(len(rows) / 8)
	err = ccitt.Encode(&g4, rows, width, height)
	return encoded{data: g4.Bytes(), width: width, height: height, err: err}
}

// writePage writes a page's image, content and page objects.
func writePage(pw *pdf.Writer, parent pdf.Ref, src io.ReaderAt, pd pending, part Part) (PageResult, pdf.Ref, error) {
	im := pd.im
	p := im.Page
	xdpi, ydpi := p.XDPI, p.YDPI
	if xdpi == 0 || ydpi == 0 {
		xdpi, ydpi = im.DPI, im.DPI
	}
	if xdpi <= 0 {
		return PageResult{}, pdf.Ref{}, fmt.Errorf("the image gives no resolution (DPI) and none was configured (--dpi)")
	}
	w, h := float64(p.Width)*72/xdpi, float64(p.Height)*72/ydpi
	xobjects := types.Dict{}
	var content string
	var res PageResult
	if len(p.Blocks) == 0 {
		imgRef := pw.Reserve()
		r, err := writeImage(pw, imgRef, src, pd, part)
		if err != nil {
			return r, pdf.Ref{}, err
		}
		res = r
		xobjects["Im0"] = ref(imgRef)
		content = fmt.Sprintf("q %s 0 0 %s 0 0 cm /Im0 Do Q", num(w), num(h))
		if p.Mirror { // drawn right to left
			content = fmt.Sprintf("q %s 0 0 %s %s 0 cm /Im0 Do Q", num(-w), num(h), num(w))
		}
	} else {
		// a page in blocks (JPEG-in-TIFF strips or tiles, each a JPEG stream): an image per
		// block, each drawn where it lies on the page
		if part == PDFA1B && len(p.Blocks) > 4095 {
			return res, pdf.Ref{}, fmt.Errorf("JPEG-in-TIFF in %d blocks: a PDF/A-1 page holds at most 4 095 images (ISO 19005-1 6.1.12, a dictionary's entries): convert with --pdfa 2b", len(p.Blocks))
		}
		d, err := passthroughDict(pw, p, part)
		if err != nil {
			return res, pdf.Ref{}, err
		}
		var c strings.Builder
		for i, b := range p.Blocks {
			bd := maps.Clone(d)
			bd["Width"], bd["Height"] = types.Integer(b.W), types.Integer(b.H)
			r := pw.Reserve()
			n, err := putRanges(pw, r, bd, src, b.Ranges, false)
			if err != nil {
				return res, pdf.Ref{}, err
			}
			res.Bytes += n
			name := fmt.Sprintf("Im%d", i)
			xobjects[name] = ref(r)
			bw, bh, x := float64(b.W)*72/xdpi, float64(b.H)*72/ydpi, float64(b.X)*72/xdpi
			if p.Mirror { // drawn right to left, from the mirrored place
				bw, x = -bw, w-x
			}
			fmt.Fprintf(&c, "q %s 0 0 %s %s %s cm /%s Do Q\n", num(bw), num(bh), num(x), num(h-float64(b.Y)*72/ydpi-bh), name)
		}
		res.Path, content = passthroughBlocks, c.String()
	}
	res.DPI = math.Round(xdpi*100) / 100
	c, err := pw.AddStream(types.Dict{}, []byte(content))
	if err != nil {
		return res, pdf.Ref{}, err
	}
	page := types.Dict{"Type": types.Name("Page"), "Parent": ref(parent),
		"MediaBox":  types.Array{types.Integer(0), types.Integer(0), types.Float(round(w)), types.Float(round(h))},
		"Resources": types.Dict{"XObject": xobjects}, "Contents": ref(c)}
	if p.Rotate != 0 {
		page["Rotate"] = types.Integer(p.Rotate)
	}
	return res, pw.Add(page), nil
}

func round(f float64) float64 { v, _ := strconv.ParseFloat(num(f), 64); return v }

func num(f float64) string {
	if s := strconv.FormatFloat(f, 'f', 4, 64); s != "-0.0000" {
		return s
	}
	return "0.0000"
}

// passthroughPath says how a page went in verbatim, in a string shared by all such pages.
func passthroughPath(filter string) string {
	switch filter {
	case "DCTDecode":
		return "passthrough DCTDecode"
	case "CCITTFaxDecode":
		return "passthrough CCITTFaxDecode"
	case "FlateDecode":
		return "passthrough FlateDecode"
	}
	return "passthrough " + filter
}

// allGray reports whether every pixel of an image has equal red, green and blue.
func allGray(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64); c.R != c.G || c.G != c.B {
				return false
			}
		}
	}
	return true
}

// eightBit reports whether every colour of a palette is 8-bit: 16-bit entries (a TIFF
// ColorMap's) each v×257; other entries (PNG's) are 8-bit by their type.
func eightBit(pal color.Palette) bool {
	for _, c := range pal {
		if c, ok := c.(color.RGBA64); ok {
			for _, v := range []uint16{c.R, c.G, c.B, c.A} {
				if v != v>>8*0x101 {
					return false
				}
			}
		}
	}
	return true
}

// passthroughBlocks is the path of a page whose blocks pass through as images of their own.
const passthroughBlocks = "passthrough DCTDecode, an image per block"

// passthroughDict is the image dictionary of a page passed through, without its Width and
// Height.
func passthroughDict(pw *pdf.Writer, p scan.Page, part Part) (types.Dict, error) {
	d := types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Image"),
		"BitsPerComponent": types.Integer(p.BitsPerComponent), "Filter": types.Name(p.Filter)}
	cs, err := colorSpace(pw, p, part)
	if err != nil {
		return nil, err
	}
	d["ColorSpace"] = cs
	if len(p.DecodeParms) > 0 {
		d["DecodeParms"] = parms(p.DecodeParms)
	}
	if len(p.DecodeArray) > 0 {
		a := types.Array{}
		for _, v := range p.DecodeArray {
			a = append(a, types.Float(v))
		}
		d["Decode"] = a
	}
	return d, nil
}

// putRanges writes an image stream of byte ranges of the source, verbatim (bit-reversed when
// asked), and returns its length.
func putRanges(pw *pdf.Writer, r pdf.Ref, d types.Dict, source io.ReaderAt, ranges []scan.Range, reverse bool) (int64, error) {
	var length int64
	readers := make([]io.Reader, len(ranges))
	for i, rg := range ranges {
		length += rg.Len
		readers[i] = io.NewSectionReader(source, rg.Off, rg.Len)
	}
	var src io.Reader = io.MultiReader(readers...)
	if reverse {
		src = reversed{src}
	}
	return length, pw.PutStream(r, d, length, src)
}

// writeImage writes the page's image XObject: the source bytes as they are when the PDF can
// hold them, else a lossless re-encoding.
func writeImage(pw *pdf.Writer, r pdf.Ref, source io.ReaderAt, pd pending, part Part) (PageResult, error) {
	im := pd.im
	p := im.Page
	d := types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Image"),
		"Width": types.Integer(p.Width), "Height": types.Integer(p.Height)}
	passthrough := p.Kind == scan.JPEG || p.Kind == scan.G4 || p.Kind == scan.PNGFlate
	if p.Kind == scan.PNGFlate && p.BitsPerComponent == 16 && part == PDFA1B {
		passthrough = false // PDF 1.4 has no 16-bit images
	}
	if passthrough {
		pdict, err := passthroughDict(pw, p, part)
		if err != nil {
			return PageResult{}, err
		}
		maps.Copy(d, pdict)
		n, err := putRanges(pw, r, d, source, p.Ranges, p.ReverseBits)
		return PageResult{Path: passthroughPath(p.Filter), Bytes: n}, err
	}
	if p.Kind == scan.Bilevel {
		e := <-pd.g4
		if e.err != nil {
			return PageResult{}, e.err
		}
		d["BitsPerComponent"], d["ColorSpace"], d["Filter"] = types.Integer(1), types.Name("DeviceGray"), types.Name("CCITTFaxDecode")
		// the encoder's 1 is black; the decoder's default (BlackIs1 false) paints it black
		d["DecodeParms"] = types.Dict{"K": types.Integer(-1), "Columns": types.Integer(e.width), "Rows": types.Integer(e.height)}
		return PageResult{Path: "re-encoded G4", Bytes: int64(len(e.data))}, pw.PutStream(r, d, int64(len(e.data)), bytes.NewReader(e.data))
	}
	img, err := scan.DecodeImage(source, p)
	if err != nil {
		return PageResult{}, err
	}
	data, cs, bpc, alpha := samples(img, p.ColorSpace == "DeviceGray")
	switch {
	case alpha != nil && part == PDFA1B:
		return PageResult{}, fmt.Errorf("the image has transparency, which vbdt keeps as a soft mask, and PDF/A-1 forbids soft masks (ISO 19005-1 6.4): convert with --pdfa 2b")
	case bpc == 16 && part == PDFA1B:
		return PageResult{}, fmt.Errorf("a 16-bit image: PDF/A-1b (PDF 1.4) has no 16-bit images; convert it with --pdfa 2b to keep every bit")
	}
	space, err := iccSpace(pw, p.ICC, cs, part) // the source's colours, kept
	if err == nil && space == types.Name("DeviceCMYK") {
		err = errNoCMYKProfile
	}
	if err != nil {
		return PageResult{}, err
	}
	d["BitsPerComponent"], d["ColorSpace"], d["Filter"] = types.Integer(bpc), space, types.Name("FlateDecode")
	if alpha != nil {
		mask, err := pw.AddStream(types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Image"),
			"Width": types.Integer(p.Width), "Height": types.Integer(p.Height), "BitsPerComponent": types.Integer(bpc),
			"ColorSpace": types.Name("DeviceGray"), "Filter": types.Name("FlateDecode")}, pdf.Deflate(alpha, zlib.BestSpeed))
		if err != nil {
			return PageResult{}, err
		}
		d["SMask"] = ref(mask)
	}
	z := pdf.Deflate(data, zlib.BestSpeed)
	return PageResult{Path: "re-encoded Flate", Bytes: int64(len(z))}, pw.PutStream(r, d, int64(len(z)), bytes.NewReader(z))
}

// colorSpace is the colour space of a page passed through: its device space, or the source's
// ICC profile over it (for a palette, over the palette's RGB).
func colorSpace(pw *pdf.Writer, p scan.Page, part Part) (types.Object, error) {
	if p.ColorSpace == "Indexed" {
		base, err := iccSpace(pw, p.ICC, "DeviceRGB", part)
		if err != nil {
			return nil, err
		}
		return types.Array{types.Name("Indexed"), base, types.Integer(len(p.Palette)/3 - 1),
			types.HexLiteral(fmt.Sprintf("%X", p.Palette))}, nil
	}
	cs, err := iccSpace(pw, p.ICC, p.ColorSpace, part)
	if err == nil && cs == types.Name("DeviceCMYK") {
		err = errNoCMYKProfile
	}
	return cs, err
}

// errNoCMYKProfile refuses CMYK samples that no profile describes.
var errNoCMYKProfile = errors.New("a CMYK image without a CMYK ICC profile cannot be PDF/A with the sRGB output intent, and turning it into RGB would change its colours: scan in RGB, or embed the scanner's CMYK profile")

// iccSpace is the colour space of samples in the device space cs with the source's ICC
// profile: [/ICCBased profile] when the profile describes cs, else cs itself (no profile, or
// one the file contradicts). A profile too recent for the part's PDF version is refused:
// dropping it would change the colours.
func iccSpace(pw *pdf.Writer, icc []byte, cs string, part Part) (types.Object, error) {
	if scan.ICCSpace(icc) != cs {
		return types.Name(cs), nil
	}
	// PDF 1.4 takes ICC.1:1998-09 (version 2) profiles, PDF 1.7 ICC.1:2004-10 (version 4)
	version, newest := icc[8], byte(4)
	if part == PDFA1B {
		newest = 2
	}
	if version > newest {
		return nil, fmt.Errorf("the image's ICC profile is version %d.%d, which PDF/A-%s (PDF %s) cannot hold, and dropping it would change its colours: convert with --pdfa 2b, or embed a version %d profile",
			version, icc[9]>>4, part, map[Part]string{PDFA1B: "1.4", PDFA2B: "1.7"}[part], newest)
	}
	n := map[string]int{"DeviceGray": 1, "DeviceRGB": 3, "DeviceCMYK": 4}[cs]
	stream, err := pw.AddStream(types.Dict{"N": types.Integer(n), "Alternate": types.Name(cs)}, icc)
	if err != nil {
		return nil, err
	}
	return types.Array{types.Name("ICCBased"), ref(stream)}, nil
}

// parms converts decode parameters to a PDF dictionary.
func parms(m map[string]any) types.Dict {
	d := types.Dict{}
	for k, v := range m {
		switch x := v.(type) {
		case int:
			d[k] = types.Integer(x)
		case bool:
			d[k] = types.Boolean(x)
		case float64:
			d[k] = types.Float(x)
		case string:
			d[k] = types.Name(x)
		}
	}
	return d
}

// samples returns an image's samples, uncompressed, at the depth they have (8 or 16 bits,
// gray or RGB), with its alpha channel apart when it has one that is not opaque: nothing is
// rounded.
func samples(img image.Image, grayPage bool) (data []byte, cs string, bpc int, alpha []byte) {
	b := img.Bounds()
	if c, ok := img.(*image.CMYK); ok { // four inks, as they are (no turning them into RGB)
		data = make([]byte, 0, b.Dx()*b.Dy()*4)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			data = append(data, c.Pix[c.PixOffset(b.Min.X, y):c.PixOffset(b.Max.X, y)]...)
		}
		return data, "DeviceCMYK", 8, nil
	}
	gray, deep := false, false
	switch img.ColorModel() {
	case color.GrayModel:
		gray = true
	case color.Gray16Model:
		gray, deep = true, true
	case color.RGBA64Model, color.NRGBA64Model:
		deep = true
	}
	if pm, ok := img.(*image.Paletted); ok && !eightBit(pm.Palette) {
		deep = true // a TIFF ColorMap's 16-bit colours, kept
	}
	if grayPage && !gray && allGray(img) {
		gray = true // gray with alpha, which Go's images hold as colour: gray it stays
	}
	opaque := true
	if o, ok := img.(interface{ Opaque() bool }); ok {
		opaque = o.Opaque()
	}
	n, cs, bpc := 3, "DeviceRGB", 8
	if gray {
		n, cs = 1, "DeviceGray"
	}
	if deep {
		bpc = 16
	}
	data = make([]byte, 0, b.Dx()*b.Dy()*n*bpc/8)
	if !opaque {
		alpha = make([]byte, 0, b.Dx()*b.Dy()*bpc/8)
	}
	put := func(dst []byte, v uint16) []byte {
		if deep {
			return append(dst, byte(v>>8), byte(v))
		}
		return append(dst, byte(v>>8))
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var c color.NRGBA64
			if deep {
				c = color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
			} else { // 8-bit sources are non-premultiplied as PNG stores them: no round trip
				n := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				c = color.NRGBA64{R: uint16(n.R) << 8, G: uint16(n.G) << 8, B: uint16(n.B) << 8, A: uint16(n.A) << 8}
			}
			if gray {
				data = put(data, c.R)
			} else {
				data = put(put(put(data, c.R), c.G), c.B)
			}
			if alpha != nil {
				alpha = put(alpha, c.A)
			}
		}
	}
	return data, cs, bpc, alpha
}

// openFiles keeps the last source file open while its pages are written: the pages of a
// multi-page TIFF follow one another, and a document of many scans opens one at a time.
type openFiles struct {
	path string
	f    *os.File
}

func (o *openFiles) open(path string) (io.ReaderAt, error) {
	if o.f != nil && o.path == path {
		return o.f, nil
	}
	o.close()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	o.path, o.f = path, f
	return f, nil
}

func (o *openFiles) close() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
}

// reversed reverses the bits of every byte read (TIFF FillOrder 2).
type reversed struct{ r io.Reader }

func (r reversed) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	for i := range p[:n] {
		p[i] = bits.Reverse8(p[i])
	}
	return n, err
}

// xmpPacket is the document's XMP metadata: the PDF/A identification, the title, the dates
// and the producer — each equal to its twin in the information dictionary.
func xmpPacket(meta Meta, t time.Time, part Part) []byte {
	date := t.Format("2006-01-02T15:04:05-07:00")
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>` + string(part[:1]) + `</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + esc(meta.Title) + `</rdf:li></rdf:Alt></dc:title>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>` + date + `</xmp:CreateDate>
   <xmp:ModifyDate>` + date + `</xmp:ModifyDate>
   <xmp:MetadataDate>` + date + `</xmp:MetadataDate>
   <xmp:CreatorTool>` + esc(meta.Producer) + `</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>` + esc(meta.Producer) + `</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
`)
	// padding lets an editor rewrite the packet in place
	b.WriteString(strings.Repeat(strings.Repeat(" ", 99)+"\n", 20))
	b.WriteString("<?xpacket end=\"w\"?>")
	return []byte(b.String())
}
