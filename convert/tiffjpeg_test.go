package convert_test

// JPEG-in-TIFF (compression 7), as libtiff writes it: in one strip, in strips, in tiles, as
// YCbCr, RGB and gray, two pages. Each strip or tile must pass through byte for byte (the
// block's SOI, the file's JPEGTables, the rest of the block), drawn where it lies; the oracle
// for the pixels is ImageMagick (libtiff and libjpeg): its decoding of the page's JPEG streams,
// put where the page's content draws them, must equal its decoding of the TIFF, exactly.

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/convert/scan"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

func TestConvertJPEGInTIFF(t *testing.T) {
	testenv.NeedTools(t, "tiffcp", "qpdf", "java")
	magick := imageMagick(t)
	dir := t.TempDir()
	// two colour pages and a gray one, uncompressed, 100 dpi (a width that is not a multiple
	// of the tiles' or of the MCUs')
	var colour, gray []string
	for i := range 2 {
		page := testpki.ScanPage(100, uint64(40+i)).SubImage(image.Rect(50, 50, 50+203, 50+300))
		p := filepath.Join(dir, fmt.Sprintf("colour%d.png", i))
		writePNGFile(t, p, page)
		colour = append(colour, im(t, magick, p, "-density", "100", "-units", "PixelsPerInch", "-compress", "none", "-type", "TrueColor", filepath.Join(dir, fmt.Sprintf("colour%d.tif", i))))
	}
	gray = append(gray, im(t, magick, colour[0], "-colorspace", "Gray", "-type", "Grayscale", "-compress", "none", filepath.Join(dir, "gray.tif")))
	// transform is the /ColorTransform the PDF must give (what the TIFF's photometric
	// interpretation says the JPEG data is; -1: none, gray)
	cases := []struct {
		name      string
		pages     []string
		args      []string
		path      string
		transform int
	}{
		{"ycbcr-1strip", colour, []string{"-c", "jpeg", "-r", "300"}, "passthrough DCTDecode", 1},
		{"ycbcr-16rows", colour, []string{"-c", "jpeg", "-r", "16"}, "passthrough DCTDecode, an image per block", 1},
		{"ycbcr-tiles", colour[:1], []string{"-c", "jpeg", "-t", "-w", "64", "-l", "48"}, "passthrough DCTDecode, an image per block", 1},
		{"rgb-32rows", colour[:1], []string{"-c", "jpeg:r", "-r", "32"}, "passthrough DCTDecode, an image per block", 0},
		{"gray-1strip", gray, []string{"-c", "jpeg", "-r", "300"}, "passthrough DCTDecode", -1},
		{"gray-8rows-MM", gray, []string{"-c", "jpeg", "-r", "8", "-B"}, "passthrough DCTDecode, an image per block", -1},
	}
	var pdfa1 []string
	for _, c := range cases {
		file := filepath.Join(dir, c.name+".tif")
		if b, err := exec.Command("tiffcp", append(append(slices.Clone(c.args), c.pages...), file)...).CombinedOutput(); err != nil {
			t.Fatalf("tiffcp: %v\n%s", err, b)
		}
		for _, part := range []convert.Part{convert.PDFA2B, convert.PDFA1B} {
			t.Run(c.name+"/"+string(part), func(t *testing.T) {
				out := filepath.Join(dir, c.name+"-"+string(part)+".pdf")
				res, err := convert.Convert(doc(file, out), convert.Options{Part: part, Profile: convert.ProfileND30})
				if err != nil {
					t.Fatal(err)
				}
				if b, err := exec.Command("qpdf", "--check", out).CombinedOutput(); err != nil {
					t.Errorf("qpdf --check: %v\n%s", err, b)
				}
				if part == convert.PDFA1B {
					pdfa1 = append(pdfa1, out)
				}
				pages := inspect(t, file)
				if len(res.Embedded) != len(pages) {
					t.Fatalf("%d pages embedded, %d in the file", len(res.Embedded), len(pages))
				}
				src, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				for i, p := range pages {
					if res.Embedded[i].Path != c.path {
						t.Errorf("page %d embedded as %q, want %q", i+1, res.Embedded[i].Path, c.path)
					}
					got := drawnPage(t, magick, out, i+1, p.Width, p.Height, 100)
					// the streams are the file's bytes
					blocks := p.Blocks
					if blocks == nil {
						blocks = append(blocks, blockOf(p))
					}
					if len(got.streams) != len(blocks) {
						t.Fatalf("page %d: %d images, want %d blocks", i+1, len(got.streams), len(blocks))
					}
					for j, b := range blocks {
						if tr := got.transforms[j]; tr != c.transform {
							t.Errorf("page %d, block %d: /ColorTransform %d, want %d", i+1, j+1, tr, c.transform)
						}
						want := sourceBytes(src, b.Ranges, false)
						if !bytes.Equal(got.streams[j], want) {
							t.Errorf("page %d, block %d: the stream is not the file's bytes", i+1, j+1)
						}
						if !bytes.HasPrefix(want, []byte{0xFF, 0xD8}) || !bytes.HasSuffix(want, []byte{0xFF, 0xD9}) {
							t.Errorf("page %d, block %d: not a whole JPEG stream", i+1, j+1)
						}
					}
					// the pixels, as libjpeg decodes them, where libtiff puts them
					ref := filepath.Join(t.TempDir(), "ref.png")
					im(t, magick, fmt.Sprintf("%s[%d]", file, i), "-colorspace", "sRGB", "-type", "TrueColor", ref)
					want := readPNG(t, ref)
					if diff := countDiff(got.img, want); diff != 0 {
						t.Errorf("page %d: %d pixels differ from libtiff's decoding of the page", i+1, diff)
					}
				}
			})
		}
	}
	t.Run("preflight", func(t *testing.T) { preflightAll(t, pdfa1) })
	// more blocks than a PDF/A-1 page's resources can name (4 095): refused under 1b, not 2b
	many := filepath.Join(dir, "gray-tiles16.tif")
	big := im(t, magick, gray[0], "-resize", "1100x1000!", "-compress", "none", filepath.Join(dir, "gray-big.tif"))
	if b, err := exec.Command("tiffcp", "-c", "jpeg", "-t", "-w", "16", "-l", "16", big, many).CombinedOutput(); err != nil {
		t.Fatalf("tiffcp: %v\n%s", err, b)
	}
	if _, err := convert.Convert(doc(many, filepath.Join(dir, "many-1b.pdf")), convert.Options{Part: convert.PDFA1B, Profile: convert.ProfileND30}); err == nil || !strings.Contains(err.Error(), "4 095 images") {
		t.Errorf("4 347 tiles under PDF/A-1b: %v, want a refusal naming the limit", err)
	}
	if _, err := convert.Convert(doc(many, filepath.Join(dir, "many-2b.pdf")), convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30}); err != nil {
		t.Errorf("4 347 tiles under PDF/A-2b: %v", err)
	}
	// a strip cut short is refused, naming the page
	file := filepath.Join(dir, "ycbcr-16rows.tif")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pages := inspect(t, file)
	last := pages[0].Blocks[len(pages[0].Blocks)-1].Ranges
	cut := last[len(last)-1]
	b[cut.Off+cut.Len-1], b[cut.Off+cut.Len-2] = 0, 0 // its EOI gone
	damaged := filepath.Join(dir, "damaged.tif")
	if err := os.WriteFile(damaged, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Convert(doc(damaged, filepath.Join(dir, "damaged.pdf")), convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30}); err == nil || !strings.Contains(err.Error(), "TIFF page 1") || !strings.Contains(err.Error(), "EOI") {
		t.Errorf("a block without its EOI: %v, want an error naming the page and the EOI", err)
	}
}

// blockOf is a page passed through in one stream, as a block covering it.
func blockOf(p scan.Page) scan.Block { return scan.Block{Ranges: p.Ranges, W: p.Width, H: p.Height} }

// drawn is a page's images as its content draws them.
type drawn struct {
	streams    [][]byte // each image's stream, in drawing order
	transforms []int    // each image's /ColorTransform, -1 without one
	img        image.Image
}

// drawnPage decodes each image of a page with ImageMagick and puts it where the page's content
// draws it, on a canvas of the page's size in pixels at dpi.
func drawnPage(t *testing.T, magick, pdf string, page, w, h int, dpi float64) drawn {
	t.Helper()
	ctx, err := api.ReadContextFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	pd, xo := pageXObjects(t, ctx, page)
	content, err := ctx.PageContent(pd, page)
	if err != nil {
		t.Fatal(err)
	}
	var d drawn
	canvas := image.NewRGBA(image.Rect(0, 0, w, h))
	pageH := float64(h) * 72 / dpi
	px := func(pt float64) int { return int(pt*dpi/72 + 0.5*signOf(pt)) }
	draws := regexp.MustCompile(`q ([-\d.]+) 0 0 ([-\d.]+) ([-\d.]+) ([-\d.]+) cm /(\w+) Do Q`).FindAllStringSubmatch(string(content), -1)
	if len(draws) == 0 {
		t.Fatalf("page %d draws no image: %q", page, content)
	}
	for _, m := range draws {
		var f [4]float64
		for i := range f {
			if f[i], err = strconv.ParseFloat(m[i+1], 64); err != nil {
				t.Fatal(err)
			}
		}
		sd, _, err := ctx.DereferenceStreamDict(xo[m[5]])
		if err != nil || sd == nil {
			t.Fatalf("page %d: image %s: %v", page, m[5], err)
		}
		if sd.Dict["Filter"] != types.Name("DCTDecode") {
			t.Fatalf("page %d: image %s is %v, not DCTDecode", page, m[5], sd.Dict["Filter"])
		}
		d.streams = append(d.streams, sd.Raw)
		tr := -1
		if dp, ok := sd.Dict["DecodeParms"].(types.Dict); ok {
			if v, ok := dp["ColorTransform"].(types.Integer); ok {
				tr = int(v)
			}
		}
		d.transforms = append(d.transforms, tr)
		jpg := filepath.Join(t.TempDir(), "block.jpg")
		if err := os.WriteFile(jpg, sd.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "block.png")
		im(t, magick, jpg, "-colorspace", "sRGB", "-type", "TrueColor", out)
		block := readPNG(t, out)
		x, top := px(f[2]), px(pageH-f[3]-f[1])
		if bw, bh := px(f[0]), px(f[1]); bw != block.Bounds().Dx() || bh != block.Bounds().Dy() {
			t.Fatalf("page %d: image %s of %v drawn %d×%d pixels", page, m[5], block.Bounds().Size(), bw, bh)
		}
		draw.Draw(canvas, image.Rect(x, top, x+block.Bounds().Dx(), top+block.Bounds().Dy()), block, block.Bounds().Min, draw.Src)
	}
	d.img = canvas
	return d
}

func signOf(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// countDiff counts the pixels whose colours differ.
func countDiff(a, b image.Image) int {
	if a.Bounds().Size() != b.Bounds().Size() {
		return a.Bounds().Dx() * a.Bounds().Dy()
	}
	n := 0
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			r1, g1, b1, _ := a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y).RGBA()
			if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
				n++
			}
		}
	}
	return n
}

// im runs ImageMagick with input, args and output; it returns the output.
func im(t *testing.T, magick, input string, args ...string) string {
	t.Helper()
	out := args[len(args)-1]
	if b, err := exec.Command(magick, append([]string{input}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", magick, input, err, b)
	}
	return out
}

func writePNGFile(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
