package convert_test

// Images made by other producers: the test images shipped with Go itself (image/testdata, the
// PNG suite of image/png) and with golang.org/x/image (its TIFFs, PNGs and JPEG). Each is
// converted to PDF/A-2b and -1b and must come out lossless and valid — passthrough streams
// byte for byte against the file, the other pages sample for sample against Go's decoding of
// the file (bilevel pages pixel for pixel as MuPDF renders them), qpdf --check, PDFBox
// Preflight for the 1b outputs — or be refused with an error that names the reason.

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/convert/scan"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	_ "golang.org/x/image/tiff" // Go's TIFF decoder, the oracle for TIFF pages
)

// foreignDPI is the resolution of files that give none.
const foreignDPI = 300

// foreignRefused are the files that must be refused, for both parts, with a text the error
// must hold. Each is refused by the standards, not by a limit of vbdt's:
var foreignRefused = map[string]string{
	// An Adobe CMYK JPEG without an embedded ICC profile: DeviceCMYK in PDF/A needs a CMYK
	// output intent (ISO 19005-1 6.2.3.3, 19005-2 6.2.4.3) and the document's is sRGB;
	// turning it into RGB would change the scanner's bytes and colours.
	"go/video-001.cmyk.jpeg": "CMYK image without a CMYK ICC profile",
	// A palette image whose ColorMap has fewer than the 3×2^BitsPerSample values TIFF 6.0
	// (section 5, ColorMap) requires: which colour a sample means is not known.
	"x/invalid-palette-ref.tiff": "ColorMap has",
	// ImageWidth or ImageLength 0: no pixels, no page (TIFF 6.0 requires both to be ≥ 1).
	"x-tiff/0x0.tiff": "image is empty",
	"x-tiff/0x1.tiff": "image is empty",
	"x-tiff/1x0.tiff": "image is empty",
	// Not here: go/video-001.progressive.truncated.jpeg is, despite its name, a whole JPEG
	// stream — the first 4 of the 10 progressive scans, then EOI — which decoders read (Go's
	// test decodes it); T.81 does not require every scan, so it passes through as it is.
}

// foreignFile is one of the foreign images.
type foreignFile struct {
	name string // origin/base name, unique
	path string
}

func TestConvertForeignImages(t *testing.T) {
	testenv.NeedTools(t, "go", "mutool", "qpdf", "java")
	files := foreignImages(t)
	out := t.TempDir()
	log := &foreignLog{outcomes: map[string][]string{}}
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			for _, part := range []convert.Part{convert.PDFA2B, convert.PDFA1B} {
				t.Run(f.name+"/"+string(part), func(t *testing.T) {
					t.Parallel()
					pdf := filepath.Join(out, strings.ReplaceAll(f.name, "/", "_")+"-"+string(part)+".pdf")
					checkForeign(t, f, part, pdf, log)
				})
			}
		}
	})
	for name := range foreignRefused {
		if !slices.ContainsFunc(files, func(f foreignFile) bool { return f.name == name }) {
			t.Errorf("%s, expected to be refused, is not among the files", name)
		}
	}
	// what became of each file, for the log
	count := map[string]int{}
	var lines []string
	for name, o := range log.outcomes {
		slices.Sort(o)
		lines = append(lines, name+": "+strings.Join(o, "; "))
		for _, x := range o {
			count[x]++
		}
	}
	slices.Sort(lines)
	var counts []string
	for x, n := range count {
		counts = append(counts, fmt.Sprintf("%4d × %s", n, x))
	}
	slices.Sort(counts)
	t.Logf("%d files:\n%s\n%s", len(files), strings.Join(lines, "\n"), strings.Join(counts, "\n"))
	t.Run("preflight", func(t *testing.T) {
		slices.Sort(log.pdfa1)
		preflightAll(t, log.pdfa1)
	})
}

// foreignLog gathers the subtests' outcomes.
type foreignLog struct {
	mu       sync.Mutex
	pdfa1    []string            // every PDF/A-1b made, for one Preflight run
	outcomes map[string][]string // by file: "2b: passthrough DCTDecode (bytes, render)", "1b: refused (…)"
}

func (l *foreignLog) add(name string, part convert.Part, outcome string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes[name] = append(l.outcomes[name], string(part)+": "+outcome)
}

func (l *foreignLog) made(pdf string, part convert.Part) {
	if part != convert.PDFA1B {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pdfa1 = append(l.pdfa1, pdf)
}

// foreignImages lists the image test files of Go and of golang.org/x/image. The .tiff.bz2
// files of x/image/tiff are unpacked to a temporary folder.
func foreignImages(t *testing.T) []foreignFile {
	t.Helper()
	goroot := runtime.GOROOT()
	if b, err := exec.Command("go", "env", "GOROOT").Output(); err == nil && len(bytes.TrimSpace(b)) > 0 {
		goroot = string(bytes.TrimSpace(b))
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image")
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m golang.org/x/image: %v", err)
	}
	ximage := string(bytes.TrimSpace(b))
	var files []foreignFile
	add := func(origin, dir string, required bool, exts ...string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if required || !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s: %v", dir, err)
			}
			t.Logf("%s does not exist: nothing from it", dir)
			return
		}
		n := 0
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !slices.ContainsFunc(exts, func(x string) bool { return strings.HasSuffix(name, x) }) {
				continue
			}
			path := filepath.Join(dir, name)
			if strings.HasSuffix(name, ".bz2") {
				path = unbzip2(t, path)
				name = strings.TrimSuffix(name, ".bz2")
			}
			files = append(files, foreignFile{name: origin + "/" + name, path: path})
			n++
		}
		if n == 0 {
			t.Fatalf("%s holds no %s file", dir, strings.Join(exts, ", "))
		}
	}
	src := filepath.Join(goroot, "src", "image")
	add("go", filepath.Join(src, "testdata"), true, ".jpeg", ".png")
	add("pngsuite", filepath.Join(src, "png", "testdata", "pngsuite"), true, ".png")
	add("go-jpeg", filepath.Join(src, "jpeg", "testdata"), false, ".jpeg", ".jpg")
	add("x", filepath.Join(ximage, "testdata"), true, ".tiff", ".png", ".jpeg")
	add("x-tiff", filepath.Join(ximage, "tiff", "testdata"), false, ".tiff", ".tiff.bz2")
	return files
}

// unbzip2 unpacks a .bz2 file to a temporary folder.
func unbzip2(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(path), ".bz2"))
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkForeign converts a foreign file to part and checks the output, or the refusal.
func checkForeign(t *testing.T, f foreignFile, part convert.Part, out string, log *foreignLog) {
	// Go's decoding of the file, the oracle for its pixels (nil where Go cannot decode it)
	want, decErr := decodeFile(f.path)
	transparent := want != nil && !opaque(want)
	res, err := convert.Convert(doc(f.path, out), convert.Options{Part: part, DPI: foreignDPI, Profile: convert.ProfileND30, Producer: "vbdt foreign"})
	reason, mustRefuse := foreignRefused[f.name]
	if err != nil {
		msg := err.Error()
		// the error names a reason: more than where it happened
		detail := strings.TrimPrefix(msg, f.path+": ")
		if i := strings.Index(detail, ": "); i >= 0 && strings.HasPrefix(detail, "page ") {
			detail = detail[i+2:]
		}
		if len(strings.Fields(detail)) < 3 {
			t.Errorf("error %q names no reason", msg)
		}
		switch {
		case mustRefuse:
			if !strings.Contains(msg, reason) {
				t.Errorf("error %v, want one naming %q", err, reason)
			}
		case part == convert.PDFA1B && transparent && strings.Contains(msg, "transparency"):
			// PDF/A-1 forbids soft masks (ISO 19005-1 6.4): refusing is lossless
		case part == convert.PDFA1B && firstPage(t, f.path).BitsPerComponent == 16 && strings.Contains(msg, "16"):
			// PDF 1.4 has no 16-bit images: refusing is lossless too
		case part == convert.PDFA1B && iccVersion(firstPage(t, f.path).ICC) > 2 && strings.Contains(msg, "ICC"):
			// PDF 1.4 takes ICC profiles up to version 2 (PDF Reference 1.7, table 4.16)
		default:
			t.Fatalf("refused: %v", err)
		}
		t.Logf("refused: %v", err)
		log.add(f.name, part, "refused ("+detail+")")
		return
	}
	log.made(out, part)
	if mustRefuse {
		t.Fatalf("converted, but must be refused with an error naming %q", reason)
	}
	if part == convert.PDFA1B && transparent {
		t.Errorf("an image with transparency became PDF/A-1b, which cannot hold it")
	}
	if b, err := exec.Command("qpdf", "--check", out).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, b)
	}
	pages := inspect(t, f.path)
	ims := pdfImages(t, out)
	if len(ims) != len(pages) || len(res.Embedded) != len(pages) {
		t.Fatalf("%d image pages in the PDF, %d embedded, %d in the source", len(ims), len(res.Embedded), len(pages))
	}
	src, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pages {
		im, path := ims[i], res.Embedded[i].Path
		if im.rotate != p.Rotate {
			t.Errorf("page %d: /Rotate %d, want %d", i+1, im.rotate, p.Rotate)
		}
		if w, h := intOf(im.dict["Width"]), intOf(im.dict["Height"]); w != p.Width || h != p.Height {
			t.Errorf("page %d: image %d×%d, the source's %d×%d", i+1, w, h, p.Width, p.Height)
		}
		// the page's size follows the image's resolution
		dpi := p.XDPI
		if dpi == 0 {
			dpi = foreignDPI
		}
		if w := float64(p.Width) * 72 / dpi; im.mediaBox[2]-w > 0.01 || w-im.mediaBox[2] > 0.01 {
			t.Errorf("page %d: MediaBox width %g, want %g", i+1, im.mediaBox[2], w)
		}
		// (a) passthrough: the source's bytes, verbatim (a JPEG up to its EOI; bit-reversed for
		// FillOrder 2)
		if strings.HasPrefix(path, "passthrough") {
			raw := sourceBytes(src, p.Ranges, p.ReverseBits)
			if len(raw) == 0 || !bytes.Equal(im.raw, raw) {
				t.Errorf("page %d: the %s stream is not the source's bytes (%d vs %d bytes)", i+1, path, len(im.raw), len(raw))
			}
			if p.Kind == scan.JPEG && !bytes.HasSuffix(raw, []byte{0xFF, 0xD9}) {
				t.Errorf("page %d: the JPEG stream does not end at its EOI", i+1)
			}
		}
		// an embedded ICC profile stays with the image (a palette's with its base); PDF 1.4
		// takes profiles up to version 2 (PDF Reference 1.7, table 4.16), so a PDF/A-1 of a
		// newer one can neither keep it nor drop it without changing what the colours mean
		if p.ICC != nil {
			checkICC(t, i+1, indexedBase(t, im), p.ICC)
			if v := iccVersion(p.ICC); part == convert.PDFA1B && v > 2 {
				t.Errorf("page %d: the source's ICC profile is version %d, which PDF/A-1 cannot hold: the page must be refused", i+1, v)
			}
		}
	}
	// (b) pixels, page 1 (Go decodes a TIFF's first page only)
	if len(pages) > 1 {
		t.Logf("%d pages: Go's decoder gives the first only; the others are checked for bytes and size", len(pages))
	}
	p, im, path := pages[0], ims[0], res.Embedded[0].Path
	oracle := "bytes"
	switch {
	case path == "passthrough DCTDecode":
		// the bytes are the file's; that the PDF says what they are (colour space, transform) is
		// seen in MuPDF's render of the page against its render of the file
		if part == convert.PDFA2B {
			compareRenders(t, out, f.path, p)
			oracle += ", MuPDF render"
		}
	case want == nil:
		t.Logf("Go cannot decode the file (%v): its render by MuPDF is the oracle", decErr)
		compareRenders(t, out, f.path, p)
		oracle = "MuPDF render"
	case path == "passthrough CCITTFaxDecode" || path == "re-encoded G4":
		// bilevel: MuPDF's render, pixel for pixel (1:1), against Go's decoding
		if p.Rotate != 0 {
			t.Fatalf("a rotated bilevel page: no oracle for it here")
		}
		dir := t.TempDir()
		mutool(t, "draw", "-q", "-w", fmt.Sprint(p.Width), "-h", fmt.Sprint(p.Height), "-c", "gray", "-o", filepath.Join(dir, "p.png"), out, "1")
		if diff := differ(t, filepath.Join(dir, "p.png"), blackRows(t, want), p.Width, p.Height); diff != 0 {
			t.Errorf("%s: %d pixels differ from the source decoded by Go", path, diff)
		}
		oracle = "MuPDF render = Go pixels"
		if strings.HasPrefix(path, "passthrough") {
			oracle = "bytes, " + oracle
		}
	default:
		// Flate: every sample against Go's decoding, with the soft mask as alpha
		gotPix, w, h := pdfPixels(t, im)
		if w != want.Bounds().Dx() || h != want.Bounds().Dy() {
			t.Fatalf("image %d×%d, Go decodes %v", w, h, want.Bounds())
		}
		bad, first := 0, ""
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s := nrgba64(want, want.Bounds().Min.X+x, want.Bounds().Min.Y+y)
				if g := gotPix[y*w+x]; g != s {
					if bad == 0 {
						first = fmt.Sprintf("(%d,%d): PDF %v, source %v", x, y, g, s)
					}
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d pixels differ from the source decoded by Go (%T); first at %s", path, bad, w*h, want, first)
		}
		oracle = "samples = Go's"
		if strings.HasPrefix(path, "passthrough") {
			oracle = "bytes, " + oracle
		}
		if im.smask != nil {
			oracle += " with SMask"
		}
	}
	log.add(f.name, part, fmt.Sprintf("%s (%s)", path, oracle))
}

// firstPage is scan.Inspect's first page of a file.
func firstPage(t *testing.T, path string) scan.Page { return inspect(t, path)[0] }

// iccVersion is an ICC profile's major version, 0 without one.
func iccVersion(icc []byte) int {
	if len(icc) < 9 {
		return 0
	}
	return int(icc[8])
}

// indexedBase is the image as checkICC should see it: an Indexed colour space's base in place
// of the colour space.
func indexedBase(t *testing.T, im pdfImage) pdfImage {
	t.Helper()
	cs, err := im.ctx.Dereference(im.dict["ColorSpace"])
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := cs.(types.Array); ok && len(a) == 4 && a[0] == types.Name("Indexed") {
		base := im
		base.dict = types.Dict{"ColorSpace": a[1]}
		return base
	}
	return im
}

// decodeFile decodes an image file with Go's decoders (goDecode, without failing the test).
func decodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	return img, err
}

// opaque reports whether every pixel of an image is opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// blackRows packs a decoded bilevel image into rows, 1 = black (differ's form).
func blackRows(t *testing.T, img image.Image) []byte {
	t.Helper()
	b := img.Bounds()
	stride := (b.Dx() + 7) / 8
	rows := make([]byte, stride*b.Dy())
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			if g != 0 && g != 0xff {
				t.Fatalf("Go decodes a bilevel page with gray %d at (%d,%d)", g, x, y)
			}
			if g == 0 {
				rows[y*stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return rows
}

// compareRenders compares MuPDF's render of the PDF page with its render of the source file,
// both at the image's size in pixels, as compareJPEGRender does for the matrix's JPEGs.
func compareRenders(t *testing.T, pdf, file string, p scan.Page) {
	t.Helper()
	if p.Rotate != 0 {
		t.Logf("a rotated page: its render is not compared")
		return
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "pdf.png"), filepath.Join(dir, "src.png")
	size := []string{"-w", fmt.Sprint(p.Width), "-h", fmt.Sprint(p.Height)}
	mutool(t, append(append([]string{"draw", "-q"}, size...), "-c", "rgb", "-o", a, pdf, "1")...)
	mutool(t, append(append([]string{"draw", "-q"}, size...), "-c", "rgb", "-o", b, file, "1")...)
	compareRendered(t, readPNG(t, a), readPNG(t, b), "the file")
}
