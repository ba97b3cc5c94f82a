package convert_test

// The case matrix of img2pdf's test suite, made here (nothing downloaded): every input kind that
// scanners and archives hold, converted to PDF/A-2b and -1b and checked to be lossless —
// passthrough streams byte for byte against the source, bilevel pages pixel for pixel as MuPDF
// renders them, re-encoded pages sample for sample against the source decoded by Go — and
// valid (qpdf --check; PDFBox Preflight for PDF/A-1b). Damaged inputs must fail with an error
// that names the problem.
//
// Tools: libtiff's tiffcp (TIFF variants), ImageMagick (progressive and CMYK JPEGs), MuPDF's
// mutool (renders), qpdf, Java with PDFBox Preflight.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/convert/scan"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

const (
	mDPI = 200
	mW   = 203 // not a multiple of 8: row padding is exercised
	mH   = 300
)

// mcase is one input of the matrix.
type mcase struct {
	name string
	file string
	dpi  float64 // Options.DPI
	// what must come out, for every part unless errFor says otherwise
	paths   []string                // PageResult.Path per page
	bitmaps [][]byte                // bilevel pages: packed rows, 1 = black
	exact   bool                    // Flate pages: samples equal to the source decoded by Go
	render  bool                    // JPEG: MuPDF's render of the page equals its render of the file
	rotate  int                     // page /Rotate
	errFor  map[convert.Part]string // the part's conversion must fail with this text
	// a 16-bit source that PDF 1.4 cannot hold: 1b must fail naming it, or keep every bit
	sixteen bool
}

// fixtures are the matrix's inputs.
type fixtures struct {
	dir     string
	pages   [2][]byte // two bilevel pages, 1 = black
	colour  *image.RGBA
	cases   []mcase
	damaged []mcase
}

func TestConvertMatrix(t *testing.T) {
	testenv.NeedTools(t, "tiffcp", "mutool", "qpdf", "java", "gs")
	magick := imageMagick(t)
	fix, err := makeFixtures(t.TempDir(), magick)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var mu sync.Mutex
	var pdfa1 []string // every 1b output, for one Preflight run
	t.Run("cases", func(t *testing.T) {
		for _, c := range fix.cases {
			for _, part := range []convert.Part{convert.PDFA2B, convert.PDFA1B} {
				t.Run(c.name+"/"+string(part), func(t *testing.T) {
					t.Parallel()
					pdf := filepath.Join(out, c.name+"-"+string(part)+".pdf")
					if checkCase(t, c, part, pdf) && part == convert.PDFA1B {
						mu.Lock()
						pdfa1 = append(pdfa1, pdf)
						mu.Unlock()
					}
				})
			}
		}
	})
	t.Run("damaged", func(t *testing.T) {
		for _, c := range fix.damaged {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				_, err := convert.Convert(doc(c.file, filepath.Join(out, "damaged-"+c.name+".pdf")), convert.Options{Part: convert.PDFA2B, DPI: c.dpi, Profile: convert.ProfileND30})
				want := c.errFor[convert.PDFA2B]
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(want)) {
					t.Errorf("error %v, want one naming %q", err, want)
				}
			})
		}
	})
	t.Run("preflight", func(t *testing.T) {
		slices.Sort(pdfa1)
		preflightAll(t, pdfa1)
	})
}

// doc is a one-source document.
func doc(src, out string) convert.Document {
	return convert.Document{FileCode: "MATRIX.2026.01", Ordinal: 1, Sources: []convert.Source{{Path: src}}, Out: out}
}

// checkCase converts c to part and checks the output; it reports whether a PDF was made.
func checkCase(t *testing.T, c mcase, part convert.Part, out string) bool {
	res, err := convert.Convert(doc(c.file, out), convert.Options{Part: part, DPI: c.dpi, Profile: convert.ProfileND30, Producer: "vbdt matrix"})
	if want, ok := c.errFor[part]; ok {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one naming %q", err, want)
		}
		return false
	}
	if c.sixteen && part == convert.PDFA1B && err != nil && strings.Contains(err.Error(), "16") {
		return false // refusing is lossless too
	}
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	if b, err := exec.Command("qpdf", "--check", out).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, b)
	}
	var got []string
	for _, p := range res.Embedded {
		got = append(got, p.Path)
	}
	if c.paths != nil && !slices.Equal(got, c.paths) {
		t.Errorf("pages embedded as %q, want %q", got, c.paths)
	}
	pages := inspect(t, c.file)
	ims := pdfImages(t, out)
	if len(ims) != len(pages) {
		t.Fatalf("%d image pages in the PDF, %d in the source", len(ims), len(pages))
	}
	src, err := os.ReadFile(c.file)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pages {
		im := ims[i]
		if im.rotate != c.rotate {
			t.Errorf("page %d: /Rotate %d, want %d", i+1, im.rotate, c.rotate)
		}
		// (a) passthrough: the source's bytes, verbatim (bit-reversed for FillOrder 2)
		if strings.HasPrefix(got[i], "passthrough") {
			if want := sourceBytes(src, p.Ranges, p.ReverseBits); !bytes.Equal(im.raw, want) {
				t.Errorf("page %d: the %s stream is not the source's bytes (%d vs %d bytes)", i+1, got[i], len(im.raw), len(want))
			}
		}
		// an embedded ICC profile stays with the image (a palette's with its base)
		if p.ICC != nil {
			checkICC(t, i+1, indexedBase(t, im), p.ICC)
		}
		// the page's size follows the image's resolution
		dpi := p.XDPI
		if dpi == 0 {
			dpi = c.dpi
		}
		if w := float64(p.Width) * 72 / dpi; math.Abs(im.mediaBox[2]-w) > 0.01 {
			t.Errorf("page %d: MediaBox width %g, want %g", i+1, im.mediaBox[2], w)
		}
	}
	// (b) pixels
	if c.bitmaps != nil {
		dir := t.TempDir()
		mutool(t, "draw", "-q", "-r", fmt.Sprint(mDPI), "-c", "gray", "-o", filepath.Join(dir, "p%d.png"), out)
		for i, rows := range c.bitmaps {
			if diff := differ(t, filepath.Join(dir, fmt.Sprintf("p%d.png", i+1)), rows, mW, mH); diff != 0 {
				t.Errorf("bilevel page %d: %d pixels differ from the source bitmap", i+1, diff)
			}
		}
	}
	if c.exact {
		want := goDecode(t, c.file)
		gotPix, w, h := pdfPixels(t, ims[0])
		if w != want.Bounds().Dx() || h != want.Bounds().Dy() {
			t.Fatalf("image %d×%d, source %v", w, h, want.Bounds())
		}
		bad, first := 0, ""
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s := nrgba64(want, x, y)
				if g := gotPix[y*w+x]; g != s {
					if bad == 0 {
						first = fmt.Sprintf("(%d,%d): PDF %v, source %v", x, y, g, s)
					}
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d pixels differ from the source decoded by Go; first at %s", got[0], bad, w*h, first)
		}
	}
	if c.render {
		compareJPEGRender(t, c, out)
	}
	return true
}

// inspect is scan.Inspect of a file.
func inspect(t *testing.T, path string) []scan.Page {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pages, err := scan.Inspect(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func mutool(t *testing.T, args ...string) {
	t.Helper()
	if b, err := exec.Command("mutool", args...).CombinedOutput(); err != nil {
		t.Fatalf("mutool %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

// pdfImage is a page's image XObject, as pdfcpu reads it.
type pdfImage struct {
	ctx      *model.Context
	dict     types.Dict
	raw      []byte
	smask    *types.StreamDict
	rotate   int
	mediaBox [4]float64
}

// pageXObjects is a page's dictionary and the XObjects of its resources.
func pageXObjects(t *testing.T, ctx *model.Context, page int) (types.Dict, types.Dict) {
	t.Helper()
	pd, _, _, err := ctx.PageDict(page, false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ctx.DereferenceDict(pd["Resources"])
	if err != nil {
		t.Fatal(err)
	}
	xo, err := ctx.DereferenceDict(res["XObject"])
	if err != nil {
		t.Fatal(err)
	}
	return pd, xo
}

// sourceBytes are the bytes of a file's ranges, bit-reversed when asked (FillOrder 2): what a
// passthrough stream holds.
func sourceBytes(src []byte, ranges []scan.Range, reverse bool) []byte {
	var out []byte
	for _, r := range ranges {
		out = append(out, src[r.Off:r.Off+r.Len]...)
	}
	if reverse {
		for j := range out {
			out[j] = bits.Reverse8(out[j])
		}
	}
	return out
}

func pdfImages(t *testing.T, path string) []pdfImage {
	t.Helper()
	ctx, err := api.ReadContextFile(path)
	if err != nil {
		t.Fatalf("pdfcpu reads %s: %v", filepath.Base(path), err)
	}
	var ims []pdfImage
	for i := 1; i <= ctx.PageCount; i++ {
		pd, xo := pageXObjects(t, ctx, i)
		if len(xo) != 1 {
			t.Fatalf("page %d has %d XObjects", i, len(xo))
		}
		var sd *types.StreamDict
		for _, o := range xo {
			if sd, _, err = ctx.DereferenceStreamDict(o); err != nil || sd == nil {
				t.Fatalf("page %d: image: %v", i, err)
			}
		}
		im := pdfImage{ctx: ctx, dict: sd.Dict, raw: sd.Raw}
		if r, ok := pd["Rotate"].(types.Integer); ok {
			im.rotate = int(r)
		}
		if mb, err := ctx.DereferenceArray(pd["MediaBox"]); err == nil && len(mb) == 4 {
			for j, v := range mb {
				switch n := v.(type) {
				case types.Integer:
					im.mediaBox[j] = float64(n)
				case types.Float:
					im.mediaBox[j] = float64(n)
				}
			}
		}
		if o, ok := sd.Dict["SMask"]; ok {
			if im.smask, _, err = ctx.DereferenceStreamDict(o); err != nil {
				t.Fatal(err)
			}
		}
		ims = append(ims, im)
	}
	return ims
}

// pdfPixels decodes a Flate image XObject (with its soft mask) to 16-bit non-premultiplied
// RGBA, by the PDF's rules: samples scaled to 0–65535, Indexed looked up, gray to R=G=B.
func pdfPixels(t *testing.T, im pdfImage) ([]color.NRGBA64, int, int) {
	t.Helper()
	ctx := im.ctx
	w, h := intOf(im.dict["Width"]), intOf(im.dict["Height"])
	bpc := intOf(im.dict["BitsPerComponent"])
	ncomp, palette := 0, []byte(nil)
	cs, err := ctx.Dereference(im.dict["ColorSpace"])
	if err != nil {
		t.Fatal(err)
	}
	switch v := cs.(type) {
	case types.Name:
		ncomp = map[string]int{"DeviceGray": 1, "DeviceRGB": 3}[string(v)]
	case types.Array:
		switch v[0].(types.Name) {
		case "ICCBased":
			s, _, err := ctx.DereferenceStreamDict(v[1])
			if err != nil {
				t.Fatal(err)
			}
			ncomp = intOf(s.Dict["N"])
		case "Indexed":
			ncomp = 1
			switch l := v[3].(type) {
			case types.HexLiteral:
				palette, _ = l.Bytes()
			case types.StringLiteral:
				palette, _ = types.Unescape(string(l))
			}
			if hival := intOf(v[2]); len(palette) < 3*(hival+1) {
				t.Fatalf("Indexed: palette of %d bytes for hival %d", len(palette), hival)
			}
		}
	}
	if ncomp == 0 || ncomp == 4 {
		t.Fatalf("colour space %v: not one a lossless Flate page should have", cs)
	}
	if _, ok := im.dict["Decode"]; ok {
		t.Fatalf("a Decode array on a Flate image: %v", im.dict["Decode"])
	}
	samples := flateSamples(t, im.dict, im.raw, w, h, ncomp, bpc)
	max := float64(int(1)<<bpc - 1)
	scale := func(v int) uint16 { return uint16(math.Round(float64(v) * 65535 / max)) }
	px := make([]color.NRGBA64, w*h)
	for i := range px {
		if palette != nil {
			k := samples[i]
			if 3*k+2 >= len(palette) {
				t.Fatalf("index %d past the palette", k)
			}
			px[i] = color.NRGBA64{uint16(palette[3*k]) * 257, uint16(palette[3*k+1]) * 257, uint16(palette[3*k+2]) * 257, 0xffff}
			continue
		}
		if ncomp == 1 {
			g := scale(samples[i])
			px[i] = color.NRGBA64{g, g, g, 0xffff}
		} else {
			px[i] = color.NRGBA64{scale(samples[3*i]), scale(samples[3*i+1]), scale(samples[3*i+2]), 0xffff}
		}
	}
	if im.smask != nil {
		mbpc := intOf(im.smask.Dict["BitsPerComponent"])
		a := flateSamples(t, im.smask.Dict, im.smask.Raw, w, h, 1, mbpc)
		mmax := float64(int(1)<<mbpc - 1)
		for i := range px {
			px[i].A = uint16(math.Round(float64(a[i]) * 65535 / mmax))
		}
	}
	return px, w, h
}

// checkICC checks that the image's colour space is ICCBased on the source's profile.
func checkICC(t *testing.T, page int, im pdfImage, icc []byte) {
	t.Helper()
	cs, _ := im.ctx.Dereference(im.dict["ColorSpace"])
	a, ok := cs.(types.Array)
	if !ok || len(a) != 2 || a[0] != types.Name("ICCBased") {
		t.Errorf("page %d: colour space %v: the source's ICC profile (%d bytes) is lost", page, cs, len(icc))
		return
	}
	sd, _, err := im.ctx.DereferenceStreamDict(a[1])
	if err != nil || sd == nil {
		t.Fatalf("page %d: ICC stream: %v", page, err)
	}
	if err := sd.Decode(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sd.Content, icc) {
		t.Errorf("page %d: the ICC profile in the PDF is not the source's", page)
	}
}

func intOf(o types.Object) int {
	switch v := o.(type) {
	case types.Integer:
		return int(v)
	case types.Float:
		return int(v)
	}
	return 0
}

// flateSamples inflates a stream, undoes its PNG predictor, and unpacks its samples.
func flateSamples(t *testing.T, d types.Dict, raw []byte, w, h, ncomp, bpc int) []int {
	t.Helper()
	if f, _ := d["Filter"].(types.Name); f != "FlateDecode" {
		t.Fatalf("filter %v, want FlateDecode", d["Filter"])
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	stride := (w*ncomp*bpc + 7) / 8
	if p, ok := d["DecodeParms"].(types.Dict); ok && intOf(p["Predictor"]) >= 10 {
		if intOf(p["Colors"]) != ncomp || intOf(p["BitsPerComponent"]) != bpc || intOf(p["Columns"]) != w {
			t.Fatalf("DecodeParms %v do not match the image (%d colours, %d bits, %d columns)", p, ncomp, bpc, w)
		}
		data = unfilter(t, data, stride, max(1, ncomp*bpc/8))
	}
	if len(data) < stride*h {
		t.Fatalf("%d bytes of samples, %d needed", len(data), stride*h)
	}
	out := make([]int, 0, w*h*ncomp)
	for y := 0; y < h; y++ {
		row := data[y*stride : (y+1)*stride]
		for i := 0; i < w*ncomp; i++ {
			switch bpc {
			case 16:
				out = append(out, int(binary.BigEndian.Uint16(row[2*i:])))
			case 8:
				out = append(out, int(row[i]))
			default:
				bit := i * bpc
				out = append(out, int(row[bit/8]>>(8-bpc-bit%8))&(1<<bpc-1))
			}
		}
	}
	return out
}

// unfilter undoes PNG row filters (PDF predictor 10–15).
func unfilter(t *testing.T, data []byte, stride, bpp int) []byte {
	t.Helper()
	var out []byte
	prev := make([]byte, stride)
	for len(data) > 0 {
		if len(data) < stride+1 {
			t.Fatalf("predicted data ends inside a row")
		}
		ft, row := data[0], append([]byte(nil), data[1:stride+1]...)
		data = data[stride+1:]
		for i := range row {
			var a, c int
			b := int(prev[i])
			if i >= bpp {
				a, c = int(row[i-bpp]), int(prev[i-bpp])
			}
			switch ft {
			case 0:
			case 1:
				row[i] += byte(a)
			case 2:
				row[i] += byte(b)
			case 3:
				row[i] += byte((a + b) / 2)
			case 4:
				row[i] += byte(paeth(a, b, c))
			default:
				t.Fatalf("PNG filter type %d", ft)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out
}

func paeth(a, b, c int) int {
	p := a + b - c
	pa, pb, pc := abs(p-a), abs(p-b), abs(p-c)
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// goDecode decodes an image file with Go's decoders, the oracle for re-encoded pages.
func goDecode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// nrgba64 is a pixel of a decoded image, non-premultiplied at 16 bits without a round trip
// through premultiplied colour (which loses low bits where alpha is not opaque).
func nrgba64(img image.Image, x, y int) color.NRGBA64 {
	var c color.Color
	switch m := img.(type) {
	case *image.NRGBA:
		c = m.NRGBAAt(x, y)
	case *image.NRGBA64:
		return m.NRGBA64At(x, y)
	case *image.Paletted:
		c = m.Palette[m.ColorIndexAt(x, y)]
	default:
		c = img.At(x, y)
	}
	if n, ok := c.(color.NRGBA); ok {
		return color.NRGBA64{uint16(n.R) * 257, uint16(n.G) * 257, uint16(n.B) * 257, uint16(n.A) * 257}
	}
	return color.NRGBA64Model.Convert(c).(color.NRGBA64)
}

// compareJPEGRender compares MuPDF's render of the PDF page with its render of the JPEG itself
// (the same decoder; a missing Decode array for Adobe CMYK, a wrong colour transform or a wrong
// rotation gives large differences).
func compareJPEGRender(t *testing.T, c mcase, pdf string) {
	t.Helper()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "pdf.png"), filepath.Join(dir, "src.png")
	mutool(t, "draw", "-q", "-r", fmt.Sprint(mDPI), "-c", "rgb", "-o", a, pdf, "1")
	if inspect(t, c.file)[0].XDPI != 0 {
		mutool(t, "draw", "-q", "-r", fmt.Sprint(mDPI), "-c", "rgb", "-o", b, c.file, "1")
	} else { // MuPDF takes such an image to be 72 dpi
		mutool(t, "draw", "-q", "-w", fmt.Sprint(mW), "-h", fmt.Sprint(mH), "-c", "rgb", "-o", b, c.file, "1")
	}
	got, want := readPNG(t, a), readPNG(t, b)
	if c.rotate == 90 && want.Bounds().Dx() == mW {
		want = rotate90(want)
	}
	compareRendered(t, got, want, "the JPEG")
}

// compareRendered compares two renders of a page: the PDF's and its source's, which differ
// only by the renderers' rounding (a mean difference of at most 2, none over 32, of 255).
func compareRendered(t *testing.T, got, want image.Image, source string) {
	t.Helper()
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Fatalf("PDF page renders %v, %s %v", got.Bounds().Size(), source, want.Bounds().Size())
	}
	var sum, n float64
	worst := 0
	for y := 0; y < got.Bounds().Dy(); y++ {
		for x := 0; x < got.Bounds().Dx(); x++ {
			g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
			for _, d := range []int{abs(int(g.R) - int(w.R)), abs(int(g.G) - int(w.G)), abs(int(g.B) - int(w.B))} {
				sum += float64(d)
				n++
				worst = max(worst, d)
			}
		}
	}
	if mean := sum / n; mean > 2 || worst > 32 {
		t.Errorf("the PDF page renders unlike %s: mean difference %.2f, worst %d (of 255)", source, mean, worst)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// rotate90 turns an image a quarter clockwise, as /Rotate 90 shows a page.
func rotate90(src image.Image) image.Image {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dst.Set(b.Dy()-1-y, x, src.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// preflightAll validates PDF/A-1b files with one PDFBox Preflight run ("batch" mode reads a
// list of files), and fails for each file it does not call valid.
func preflightAll(t *testing.T, files []string) {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("no PDF/A-1b output to validate")
	}
	jars := []string{"preflight", "pdfbox2", "fontbox2", "xmpbox", "commons-logging", "jaxb-api", "javax.activation"}
	for i, j := range jars {
		jars[i] = "/usr/share/java/" + j + ".jar"
		if _, err := os.Stat(jars[i]); err != nil {
			testenv.Need(t, "Apache PDFBox Preflight (apt-get install libpdfbox2-java default-jre-headless libactivation-java libjaxb-api-java)")
		}
	}
	testenv.NeedTools(t, "java")
	list := filepath.Join(t.TempDir(), "files.txt")
	if err := os.WriteFile(list, []byte(strings.Join(files, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("java", "-cp", strings.Join(jars, ":"), "org.apache.pdfbox.preflight.Validator_A1b", "batch", list).CombinedOutput()
	report := string(out)
	for _, f := range files {
		// it names files by their base name
		if !strings.Contains(report, "The file "+filepath.Base(f)+" is a valid PDF/A-1b file") {
			i := strings.Index(report, "The file "+filepath.Base(f)+" ")
			msg := "(not in Preflight's output)"
			if i >= 0 {
				msg = report[i:]
				if j := strings.Index(msg[1:], "The file "); j >= 0 {
					msg = msg[:j+1]
				}
			}
			t.Errorf("Preflight rejects %s:\n%s", filepath.Base(f), msg)
		}
	}
}

// imageMagick is the command of the real ImageMagick (a stand-in "convert" may come first on
// PATH).
func imageMagick(t *testing.T) string {
	t.Helper()
	for _, c := range []string{"magick", "/usr/bin/convert", "convert-im6.q16", "convert"} {
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if b, err := exec.Command(p, "-version").Output(); err == nil && strings.HasPrefix(string(b), "Version: ImageMagick") {
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b[:min(len(b), 512)], []byte("Stands in")) {
				continue
			}
			return p
		}
	}
	testenv.Need(t, "ImageMagick (apt-get install imagemagick)")
	return ""
}

// ---- fixtures ----

func makeFixtures(dir, magick string) (*fixtures, error) {
	f := &fixtures{dir: dir}
	// the source pages: a crop of a drawn scan, with speckle so that every G4 mode occurs
	for i := range f.pages {
		page := testpki.ScanPage(100, uint64(10+i)).SubImage(image.Rect(90, 90, 90+mW, 90+mH))
		rows, _, _ := testpki.Bilevel(page)
		r := rand.New(rand.NewPCG(uint64(i), 7))
		stride := (mW + 7) / 8
		for k := 0; k < 600; k++ {
			x, y := r.IntN(mW), r.IntN(mH)
			rows[y*stride+x/8] ^= 0x80 >> (x % 8)
		}
		f.pages[i] = rows
	}
	f.colour = image.NewRGBA(image.Rect(0, 0, mW, mH))
	draw := noisyScanPage(100, 21).SubImage(image.Rect(90, 90, 90+mW, 90+mH)).(*image.RGBA)
	for y := 0; y < mH; y++ {
		copy(f.colour.Pix[y*f.colour.Stride:], draw.Pix[y*draw.Stride:y*draw.Stride+4*mW])
	}
	// uncompressed one-strip TIFFs of each page, WhiteIsZero and BlackIsZero, and one with a
	// zero resolution
	base := map[int][]string{}
	for _, pm := range []int{0, 1} {
		names := make([]string, 2)
		for i, rows := range f.pages {
			names[i] = filepath.Join(dir, fmt.Sprintf("base-pm%d-%d.tif", pm, i+1))
			if err := writeTIFF1(names[i], rows, mW, mH, pm, mDPI); err != nil {
				return nil, err
			}
		}
		base[pm] = names
	}
	tiffcp := func(name string, pages []string, args ...string) (string, error) {
		out := filepath.Join(dir, name+".tif")
		cmd := exec.Command("tiffcp", append(append(args, pages...), out)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("tiffcp %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, b)
		}
		return out, nil
	}
	both := [][]byte{f.pages[0], f.pages[1]}
	// CCITT G4: byte order × FillOrder × Photometric × strips, each two pages
	for _, bo := range []string{"II", "MM"} {
		for _, fo := range []int{1, 2} {
			for _, pm := range []int{0, 1} {
				for _, rps := range []int{mH, 16} {
					name := fmt.Sprintf("g4-%s-fo%d-pm%d-%s", bo, fo, pm, map[bool]string{true: "1strip", false: "16rows"}[rps == mH])
					args := []string{"-c", "g4", "-r", fmt.Sprint(rps), map[string]string{"II": "-L", "MM": "-B"}[bo],
						"-f", map[int]string{1: "msb2lsb", 2: "lsb2msb"}[fo]}
					file, err := tiffcp(name, base[pm], args...)
					if err != nil {
						return nil, err
					}
					// the variant is what it says
					if err := checkTIFFVariant(file, bo, fo, pm, rps != mH); err != nil {
						return nil, err
					}
					path := "passthrough CCITTFaxDecode"
					if rps != mH {
						path = "re-encoded G4"
					}
					f.cases = append(f.cases, mcase{name: name, file: file, paths: []string{path, path}, bitmaps: both})
				}
			}
		}
	}
	// the other bilevel compressions: re-encoded as G4
	for _, v := range []struct {
		name string
		pm   int
		args []string
	}{
		{"g3-1d", 0, []string{"-c", "g3:1d", "-r", "64"}},
		{"g3-1d-fill-MM", 1, []string{"-c", "g3:1d:fill", "-B"}},
		{"g3-2d", 0, []string{"-c", "g3:2d"}},
		{"g3-2d-fill-MM-fo2-40rows", 1, []string{"-c", "g3:2d:fill", "-B", "-f", "lsb2msb", "-r", "40"}},
		{"g4-tiled", 0, []string{"-c", "g4", "-t", "-w", "64", "-l", "64"}},
		{"lzw", 0, []string{"-c", "lzw", "-r", "37"}},
		{"packbits-pm1", 1, []string{"-c", "packbits"}},
		{"zip", 0, []string{"-c", "zip"}},
		{"none-MM-fo2", 0, []string{"-c", "none", "-B", "-f", "lsb2msb", "-r", "100"}},
		{"none-pm1", 1, []string{"-c", "none"}},
	} {
		file, err := tiffcp(v.name, base[v.pm], v.args...)
		if err != nil {
			return nil, err
		}
		f.cases = append(f.cases, mcase{name: v.name, file: file, paths: []string{"re-encoded G4", "re-encoded G4"}, bitmaps: both})
	}
	// JPEG
	if err := f.jpegs(magick); err != nil {
		return nil, err
	}
	// PNG
	if err := f.pngs(); err != nil {
		return nil, err
	}
	// damaged and unsupported files
	g4, _ := tiffcp("damaged-g4-src", base[0][:1], "-c", "g4")
	g4both, err := tiffcp("g4-both", base[0], "-c", "g4")
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(g4)
	if err != nil {
		return nil, err
	}
	trunc := filepath.Join(dir, "truncated.tif")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	zero := filepath.Join(dir, "zero-dpi.tif")
	if err := writeTIFF1(zero, f.pages[0], mW, mH, 0, 0); err != nil {
		return nil, err
	}
	unsupported := "JBIG"
	jbig, err := tiffcp("jbig", base[0][:1], "-c", "jbig")
	if err != nil {
		unsupported = "Zstandard"
		if jbig, err = tiffcp("zstd", base[0][:1], "-c", "zstd"); err != nil {
			return nil, err
		}
	}
	f.damaged = append(f.damaged,
		mcase{name: "tiff-truncated", file: trunc, errFor: map[convert.Part]string{convert.PDFA2B: "truncated"}},
		mcase{name: "tiff-zero-dpi", file: zero, errFor: map[convert.Part]string{convert.PDFA2B: "DPI"}},
		mcase{name: "tiff-" + strings.ToLower(unsupported), file: jbig, errFor: map[convert.Part]string{convert.PDFA2B: unsupported}},
	)
	// a zero-DPI file converts with a configured DPI
	f.cases = append(f.cases, mcase{name: "tiff-zero-dpi-with-dpi", file: zero, dpi: mDPI, paths: []string{"re-encoded G4"}, bitmaps: both[:1]})
	// CCITT modified Huffman (Compression 2), which libtiff does not write: Ghostscript's
	// tiffcrle device, from a PDF of the two pages at their resolution
	pdf := filepath.Join(dir, "for-gs.pdf")
	if _, err := convert.Convert(doc(g4both, pdf), convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30}); err != nil {
		return nil, err
	}
	crle := filepath.Join(dir, "crle-gs.tif")
	if b, err := exec.Command("gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=tiffcrle", fmt.Sprintf("-r%d", mDPI), "-o", crle, pdf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gs: %v\n%s", err, b)
	}
	f.cases = append(f.cases, mcase{name: "crle-gs", file: crle, paths: []string{"re-encoded G4", "re-encoded G4"}, bitmaps: both})
	return f, nil
}

// checkTIFFVariant checks that tiffcp wrote the byte order, fill order, photometric
// interpretation and strips asked for, on both pages.
func checkTIFFVariant(path, bo string, fo, pm int, strips bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, _ := f.Stat()
	var head [2]byte
	f.ReadAt(head[:], 0)
	pages, err := scan.Inspect(f, fi.Size())
	if err != nil {
		return err
	}
	for _, p := range pages {
		if string(head[:]) != bo || p.ReverseBits != (fo == 2) || p.Photometric != pm || (len(p.Strips) > 1) != strips || p.Compression != 4 || len(pages) != 2 {
			return fmt.Errorf("%s: not the variant asked for: %s, reverse bits %v, photometric %d, %d strips, compression %d, %d pages",
				path, head, p.ReverseBits, p.Photometric, len(p.Strips), p.Compression, len(pages))
		}
	}
	return nil
}

// writeTIFF1 writes a one-page, one-strip, uncompressed 1-bit TIFF (little-endian) of packed
// rows (1 = black): Photometric 0 stores them as they are, 1 inverted. dpi 0 writes a zero
// resolution.
func writeTIFF1(path string, rows []byte, w, h, photometric, dpi int) error {
	data := append([]byte(nil), rows...)
	if photometric == 1 {
		for i := range data {
			data[i] = ^data[i]
		}
	}
	le := binary.LittleEndian
	var b bytes.Buffer
	b.Write([]byte{'I', 'I', 42, 0, 8, 0, 0, 0})
	type entry struct {
		tag, typ uint16
		count    uint32
		value    uint32
	}
	entries := []entry{{256, 3, 1, uint32(w)}, {257, 3, 1, uint32(h)}, {258, 3, 1, 1}, {259, 3, 1, 1},
		{262, 3, 1, uint32(photometric)}, {273, 4, 1, 0}, {277, 3, 1, 1}, {278, 3, 1, uint32(h)},
		{279, 4, 1, uint32(len(data))}, {282, 5, 1, 0}, {283, 5, 1, 0}, {296, 3, 1, 2}}
	ifdLen := 2 + 12*len(entries) + 4
	res := 8 + ifdLen
	entries[9].value, entries[10].value = uint32(res), uint32(res+8)
	entries[5].value = uint32(res + 16)
	binary.Write(&b, le, uint16(len(entries)))
	for _, e := range entries {
		binary.Write(&b, le, e)
	}
	binary.Write(&b, le, uint32(0))
	binary.Write(&b, le, []uint32{uint32(dpi), 1, uint32(dpi), 1})
	b.Write(data)
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func (f *fixtures) jpegs(magick string) error {
	dir := f.dir
	gray := image.NewGray(f.colour.Bounds())
	for y := 0; y < mH; y++ {
		for x := 0; x < mW; x++ {
			gray.Set(x, y, f.colour.At(x, y))
		}
	}
	rgb := filepath.Join(dir, "jpeg-rgb.jpg")
	if err := testpki.WriteJPEG(rgb, f.colour, mDPI); err != nil {
		return err
	}
	grayPath := filepath.Join(dir, "jpeg-gray.jpg")
	if err := testpki.WriteJPEG(grayPath, gray, mDPI); err != nil {
		return err
	}
	im := func(name string, args ...string) (string, error) {
		out := filepath.Join(dir, name)
		if b, err := exec.Command(magick, append(append([]string{rgb}, args...), out)...).CombinedOutput(); err != nil {
			return "", fmt.Errorf("%s %v: %v\n%s", magick, args, err, b)
		}
		return out, nil
	}
	cmyk, err := im("jpeg-cmyk-adobe.jpg", "-colorspace", "CMYK", "-density", fmt.Sprint(mDPI), "-units", "PixelsPerInch")
	if err != nil {
		return err
	}
	if b, _ := os.ReadFile(cmyk); !bytes.Contains(b, []byte("Adobe")) {
		return fmt.Errorf("%s has no Adobe APP14 marker", cmyk)
	}
	prog, err := im("jpeg-progressive.jpg", "-interlace", "JPEG")
	if err != nil {
		return err
	}
	if b, _ := os.ReadFile(prog); !bytes.Contains(b, []byte{0xFF, 0xC2}) {
		return fmt.Errorf("%s has no SOF2 marker", prog)
	}
	// EXIF Orientation 6 (the camera was turned: show it turned a quarter clockwise)
	src, _ := os.ReadFile(rgb)
	rot := filepath.Join(dir, "jpeg-exif-rotated.jpg")
	if err := os.WriteFile(rot, withExifOrientation(src, 6), 0o644); err != nil {
		return err
	}
	// no density at all: Go's encoder writes no JFIF segment
	var nodpi bytes.Buffer
	jpeg.Encode(&nodpi, f.colour, &jpeg.Options{Quality: 90})
	nodpiPath := filepath.Join(dir, "jpeg-no-density.jpg")
	os.WriteFile(nodpiPath, nodpi.Bytes(), 0o644)
	zero := filepath.Join(dir, "jpeg-zero-density.jpg")
	z := append([]byte(nil), src...)
	if z[2] != 0xFF || z[3] != 0xE0 || string(z[6:10]) != "JFIF" {
		return fmt.Errorf("WriteJPEG wrote no JFIF APP0 first")
	}
	z[13], z[14], z[15], z[16], z[17] = 1, 0, 0, 0, 0 // units dpi, density 0×0
	os.WriteFile(zero, z, 0o644)
	trunc := filepath.Join(dir, "jpeg-truncated.jpg")
	os.WriteFile(trunc, src[:len(src)/2], 0o644)

	dct := []string{"passthrough DCTDecode"}
	noRes := map[convert.Part]string{convert.PDFA2B: "no resolution", convert.PDFA1B: "no resolution"}
	f.cases = append(f.cases,
		mcase{name: "jpeg-gray", file: grayPath, paths: dct, render: true},
		mcase{name: "jpeg-rgb", file: rgb, paths: dct, render: true},
		// DeviceCMYK needs a CMYK output intent or an ICC profile: PDF/A with the sRGB intent
		// cannot hold it as it is, and vbdt does not turn it into RGB (lossy): a clear error
		mcase{name: "jpeg-cmyk-adobe", file: cmyk, dpi: mDPI, errFor: map[convert.Part]string{
			convert.PDFA2B: "CMYK image without a CMYK ICC profile", convert.PDFA1B: "CMYK image without a CMYK ICC profile"}},
		mcase{name: "jpeg-progressive", file: prog, paths: dct, render: true},
		mcase{name: "jpeg-exif-rotated", file: rot, paths: dct, render: true, rotate: 90},
		mcase{name: "jpeg-no-density-dpi", file: nodpiPath, dpi: mDPI, paths: dct, render: true},
		mcase{name: "jpeg-no-density", file: nodpiPath, errFor: noRes},
		mcase{name: "jpeg-zero-density", file: zero, errFor: noRes},
	)
	f.damaged = append(f.damaged, mcase{name: "jpeg-truncated", file: trunc, errFor: map[convert.Part]string{convert.PDFA2B: "truncated JPEG"}})
	return nil
}

// withExifOrientation inserts an EXIF APP1 segment with IFD0 Orientation o after the JFIF APP0.
func withExifOrientation(jpg []byte, o uint16) []byte {
	var t bytes.Buffer
	t.Write([]byte("MM\x00\x2a\x00\x00\x00\x08"))
	binary.Write(&t, binary.BigEndian, uint16(1))
	binary.Write(&t, binary.BigEndian, []uint16{274, 3})
	binary.Write(&t, binary.BigEndian, uint32(1))
	binary.Write(&t, binary.BigEndian, []uint16{o, 0})
	binary.Write(&t, binary.BigEndian, uint32(0))
	body := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := append([]byte{0xFF, 0xE1, byte((len(body) + 2) >> 8), byte(len(body) + 2)}, body...)
	at := 2
	if jpg[2] == 0xFF && jpg[3] == 0xE0 {
		at = 4 + int(jpg[4])<<8 + int(jpg[5])
	}
	return append(append(append([]byte(nil), jpg[:at]...), seg...), jpg[at:]...)
}

// pngSpec is a PNG written sample by sample.
type pngSpec struct {
	ctype, depth int
	interlace    bool
	plte, trns   []byte
	icc          []byte
}

func (f *fixtures) pngs() error {
	dir := f.dir
	icc, err := os.ReadFile("icc/sRGB.icc")
	if err != nil {
		return err
	}
	// the same profile claiming ICC version 4, which PDF 1.4 (PDF/A-1) cannot hold
	icc4 := slices.Clone(icc)
	icc4[8] = 4
	iccErr := map[convert.Part]string{convert.PDFA1B: "ICC profile is version 4."}
	pal := make([]byte, 3*200)
	r := rand.New(rand.NewPCG(3, 3))
	for i := range pal {
		pal[i] = byte(r.IntN(256))
	}
	flate := []string{"passthrough FlateDecode"}
	reenc := []string{"re-encoded Flate"}
	alphaErr := map[convert.Part]string{convert.PDFA1B: "transparency"}
	for _, v := range []struct {
		name string
		spec pngSpec
		want []string
		c    mcase
	}{
		{"png-gray1", pngSpec{ctype: 0, depth: 1}, flate, mcase{}},
		{"png-gray2", pngSpec{ctype: 0, depth: 2}, flate, mcase{}},
		{"png-gray4", pngSpec{ctype: 0, depth: 4}, flate, mcase{}},
		{"png-gray8", pngSpec{ctype: 0, depth: 8}, flate, mcase{}},
		{"png-gray16", pngSpec{ctype: 0, depth: 16}, nil, mcase{sixteen: true}},
		{"png-rgb8", pngSpec{ctype: 2, depth: 8}, flate, mcase{}},
		{"png-rgb16", pngSpec{ctype: 2, depth: 16}, nil, mcase{sixteen: true}},
		{"png-palette8", pngSpec{ctype: 3, depth: 8, plte: pal}, flate, mcase{}},
		{"png-palette2", pngSpec{ctype: 3, depth: 2, plte: pal[:12]}, flate, mcase{}},
		{"png-rgb8-interlaced", pngSpec{ctype: 2, depth: 8, interlace: true}, reenc, mcase{}},
		{"png-gray16-interlaced", pngSpec{ctype: 0, depth: 16, interlace: true}, reenc, mcase{sixteen: true}},
		{"png-palette4-interlaced", pngSpec{ctype: 3, depth: 4, interlace: true, plte: pal[:48]}, reenc, mcase{}},
		{"png-rgba8", pngSpec{ctype: 6, depth: 8}, reenc, mcase{errFor: alphaErr}},
		{"png-graya8", pngSpec{ctype: 4, depth: 8}, reenc, mcase{errFor: alphaErr}},
		{"png-rgba16", pngSpec{ctype: 6, depth: 16}, reenc, mcase{errFor: alphaErr}},
		{"png-palette-trns", pngSpec{ctype: 3, depth: 8, plte: pal, trns: []byte{0, 128, 255}}, reenc, mcase{errFor: alphaErr}},
		{"png-rgb8-icc", pngSpec{ctype: 2, depth: 8, icc: icc}, flate, mcase{}},
		{"png-rgb8-icc-interlaced", pngSpec{ctype: 2, depth: 8, icc: icc, interlace: true}, reenc, mcase{}},
		{"png-palette8-icc", pngSpec{ctype: 3, depth: 8, plte: pal, icc: icc}, flate, mcase{}},
		{"png-rgb8-icc4", pngSpec{ctype: 2, depth: 8, icc: icc4}, flate, mcase{errFor: iccErr}},
		{"png-rgb8-icc4-interlaced", pngSpec{ctype: 2, depth: 8, icc: icc4, interlace: true}, reenc, mcase{errFor: iccErr}},
		{"png-palette8-icc4", pngSpec{ctype: 3, depth: 8, plte: pal, icc: icc4}, flate, mcase{errFor: iccErr}},
	} {
		path := filepath.Join(dir, v.name+".png")
		if err := os.WriteFile(path, encodePNG(v.spec, mW, mH, uint64(len(f.cases))), 0o644); err != nil {
			return err
		}
		c := v.c
		c.name, c.file, c.paths, c.exact = v.name, path, v.want, true
		f.cases = append(f.cases, c)
	}
	// damaged: cut short
	full, _ := os.ReadFile(filepath.Join(dir, "png-rgb8.png"))
	trunc := filepath.Join(dir, "png-truncated.png")
	os.WriteFile(trunc, full[:len(full)*2/3], 0o644)
	f.damaged = append(f.damaged, mcase{name: "png-truncated", file: trunc, errFor: map[convert.Part]string{convert.PDFA2B: "truncated PNG"}})
	return nil
}

// encodePNG writes a PNG of random samples with the PNG row filters in turn (so that the
// predictor is exercised), IDAT split in two chunks, pHYs at mDPI, and the optional chunks.
func encodePNG(s pngSpec, w, h int, seed uint64) []byte {
	channels := map[int]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[s.ctype]
	r := rand.New(rand.NewPCG(seed, 11))
	maxv := 1<<s.depth - 1
	if s.ctype == 3 {
		maxv = len(s.plte)/3 - 1
	}
	samples := make([]int, w*h*channels)
	for i := range samples {
		samples[i] = r.IntN(maxv + 1)
	}
	bpp := max(1, channels*s.depth/8)
	var raw bytes.Buffer
	passes := [][4]int{{0, 0, 1, 1}}
	if s.interlace {
		passes = [][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
	}
	for _, p := range passes {
		pw := (w - p[0] + p[2] - 1) / p[2]
		if pw <= 0 || p[1] >= h {
			continue
		}
		stride := (pw*channels*s.depth + 7) / 8
		prev := make([]byte, stride)
		for y := p[1]; y < h; y += p[3] {
			row := make([]byte, stride)
			k := 0
			for x := p[0]; x < w; x += p[2] {
				for c := 0; c < channels; c++ {
					v := samples[(y*w+x)*channels+c]
					switch s.depth {
					case 16:
						binary.BigEndian.PutUint16(row[2*k:], uint16(v))
					case 8:
						row[k] = byte(v)
					default:
						bit := k * s.depth
						row[bit/8] |= byte(v << (8 - s.depth - bit%8))
					}
					k++
				}
			}
			ft := byte(y % 5)
			out := make([]byte, stride)
			for i := range row {
				var a, c int
				b := int(prev[i])
				if i >= bpp {
					a, c = int(row[i-bpp]), int(prev[i-bpp])
				}
				pred := [5]int{0, a, b, (a + b) / 2, paeth(a, b, c)}[ft]
				out[i] = row[i] - byte(pred)
			}
			raw.WriteByte(ft)
			raw.Write(out)
			prev = row
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		body := append([]byte(typ), data...)
		b.Write(body)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(body))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	il := byte(0)
	if s.interlace {
		il = 1
	}
	chunk("IHDR", append(ihdr, byte(s.depth), byte(s.ctype), 0, 0, il))
	if s.icc != nil {
		var zi bytes.Buffer
		zw := zlib.NewWriter(&zi)
		zw.Write(s.icc)
		zw.Close()
		chunk("iCCP", append([]byte("sRGB\x00\x00"), zi.Bytes()...))
	}
	ppm := uint32(math.Round(mDPI / 0.0254))
	chunk("pHYs", append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, ppm), ppm), 1))
	if s.plte != nil {
		chunk("PLTE", s.plte)
	}
	if s.trns != nil {
		chunk("tRNS", s.trns)
	}
	zb := z.Bytes()
	chunk("IDAT", zb[:len(zb)/2])
	chunk("IDAT", zb[len(zb)/2:])
	chunk("IEND", nil)
	return b.Bytes()
}
