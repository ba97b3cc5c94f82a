package convert_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

const code = "H99.2026.01/QĐ-UBND" // a "/" in the notation: the file name escapes it

// dossier writes the test file's scans (a colour JPEG page, a two-page bilevel G4 TIFF — one
// strip, then many — and a colour PNG page) at 200 dpi.
func dossier(t *testing.T) string {
	t.Helper()
	folder, err := testpki.WriteDossier(t.TempDir(), convert.EscapeCode(code), 200)
	if err != nil {
		t.Fatal(err)
	}
	return folder
}

func TestConvertDossier(t *testing.T) {
	testenv.NeedTools(t, "qpdf", "pdfimages", "mutool")
	folder := dossier(t)
	for _, part := range []convert.Part{convert.PDFA1B, convert.PDFA2B} {
		t.Run(string(part), func(t *testing.T) {
			out := t.TempDir()
			docs, err := convert.PlanFolders([]string{folder}, out)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 3 || docs[0].FileCode != code || filepath.Base(docs[1].Out) != "H99.2026.01%2FQĐ-UBND.002.pdf" {
				t.Fatalf("plan: %+v", docs)
			}
			opts := convert.Options{Part: part, Profile: convert.ProfileND30, Producer: "vbdt test"}
			var results []*convert.Result
			for _, d := range docs {
				r, err := convert.Convert(d, opts)
				if err != nil {
					t.Fatalf("%s: %v", d.Out, err)
				}
				results = append(results, r)
				if b, err := exec.Command("qpdf", "--check", d.Out).CombinedOutput(); err != nil {
					t.Fatalf("qpdf --check %s: %v\n%s", d.Out, err, b)
				}
				if _, err := convert.ReadSidecar(d.Out); err != nil {
					t.Fatal(err)
				}
			}
			if part == convert.PDFA1B {
				var outs []string
				for _, d := range docs {
					outs = append(outs, d.Out)
				}
				preflightAll(t, outs)
			}
			// how each page went in
			want := [][]string{{"passthrough DCTDecode"}, {"passthrough CCITTFaxDecode", "re-encoded G4"}, {"passthrough FlateDecode"}}
			for i, r := range results {
				var got []string
				for _, p := range r.Embedded {
					got = append(got, p.Path)
				}
				if strings.Join(got, ",") != strings.Join(want[i], ",") {
					t.Errorf("%s: pages embedded as %v, want %v", filepath.Base(r.Out), got, want[i])
				}
			}
			// the JPEG is in the PDF byte for byte
			src, _ := os.ReadFile(results[0].Sources[0].Path)
			dir := t.TempDir()
			if b, err := exec.Command("pdfimages", "-all", results[0].Out, filepath.Join(dir, "img")).CombinedOutput(); err != nil {
				t.Fatalf("pdfimages: %v\n%s", err, b)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "img-000.jpg")); !bytes.Equal(got, src) {
				t.Errorf("the JPEG in the PDF is not the scanner's bytes (%d vs %d bytes)", len(got), len(src))
			}
			// the bilevel pages render pixel for pixel as scanned (MuPDF: poppler smooths 1:1)
			for page := 1; page <= 2; page++ {
				rows, w, h := testpki.Bilevel(testpki.ScanPage(200, uint64(1+page)))
				png := filepath.Join(dir, "p.png")
				if b, err := exec.Command("mutool", "draw", "-q", "-r", "200", "-c", "gray", "-o", png, results[1].Out, string(rune('0'+page))).CombinedOutput(); err != nil {
					t.Fatalf("mutool draw: %v\n%s", err, b)
				}
				if diff := differ(t, png, rows, w, h); diff != 0 {
					t.Errorf("G4 page %d: %d pixels differ from the scan", page, diff)
				}
			}
			// 200 dpi colour JPEG and PNG conform; the bilevel TIFF is reported not colour
			if !results[0].Conforms || !results[2].Conforms || results[1].Conforms {
				t.Errorf("conformance: %v %v %v (%+v; %+v)", results[0].Conforms, results[1].Conforms, results[2].Conforms, results[1].Problems, results[2].Problems)
			}
			if results[1].Pages != 2 || results[0].Embedded[0].DPI != 200 {
				t.Errorf("pages %d, dpi %g", results[1].Pages, results[0].Embedded[0].DPI)
			}
			// the same inputs give the same bytes
			again, err := convert.Convert(docs[1], opts)
			if err != nil || again.SHA256 != results[1].SHA256 {
				t.Errorf("a second conversion differs: %v", err)
			}
		})
	}
}

// differ counts the pixels of a rendered gray PNG that differ from packed rows (1 = black).
func differ(t *testing.T, path string, rows []byte, w, h int) int {
	t.Helper()
	img := readPNG(t, path)
	if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("rendered %v, want %dx%d", img.Bounds(), w, h)
	}
	stride, n := (w+7)/8, 0
	gray, _ := img.(*image.Gray)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			black := rows[y*stride+x/8]&(0x80>>(x%8)) != 0
			var v uint8
			if gray != nil {
				v = gray.GrayAt(x, y).Y
			} else {
				r, _, _, _ := img.At(x, y).RGBA()
				v = uint8(r >> 8)
			}
			if (v < 128) != black {
				n++
			}
		}
	}
	return n
}

func TestFileNames(t *testing.T) {
	for _, c := range []string{"H99.2026.01/QĐ-UBND", "a%b", `x\y:z*?"<>|`, "plain"} {
		name := convert.EscapeCode(c)
		if strings.ContainsAny(name, `/\:*?"<>|`) {
			t.Errorf("%q escapes to %q", c, name)
		}
		if back, err := convert.UnescapeCode(name); err != nil || back != c {
			t.Errorf("%q → %q → %q, %v", c, name, back, err)
		}
	}
	if got := convert.FileName("H99.2026.01/QĐ", 7); got != "H99.2026.01%2FQĐ.007.pdf" {
		t.Errorf("FileName: %s", got)
	}
}

// A document of many source files, read ahead and through reused buffers, holds each file's
// own bytes on its own page, and the fixity of each file; a second document converted after it
// (reusing the buffers the first gave back) too.
func TestConvertManySources(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 9 {
		// sizes differ, so that a reused buffer is sometimes larger than the file read into it
		img := testpki.ScanPage(float64(40+20*(i%4)), uint64(100+i))
		p := filepath.Join(dir, fmt.Sprintf("p%d.jpg", i))
		if err := testpki.WriteJPEG(p, img, 200); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for round, order := range [][]string{paths, slices.Concat(paths[5:], paths[:5])} {
		d := convert.Document{FileCode: "H99.2026.02", Ordinal: round + 1, Out: filepath.Join(dir, fmt.Sprintf("out%d.pdf", round))}
		for _, p := range order {
			d.Sources = append(d.Sources, convert.Source{Path: p})
		}
		res, err := convert.Convert(d, convert.Options{DPI: 200, Profile: convert.ProfileND30})
		if err != nil {
			t.Fatal(err)
		}
		ims := pdfImages(t, res.Out)
		if len(ims) != len(order) || len(res.Sources) != len(order) {
			t.Fatalf("round %d: %d pages, %d source hashes, want %d", round, len(ims), len(res.Sources), len(order))
		}
		for i, p := range order {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ims[i].raw, src) {
				t.Errorf("round %d, page %d: not %s's bytes", round, i+1, filepath.Base(p))
			}
			if sum := sha256.Sum256(src); res.Sources[i].Path != p || res.Sources[i].SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("round %d: source %d's fixity is %+v, want %s of %s", round, i, res.Sources[i], hex.EncodeToString(sum[:]), p)
			}
		}
	}
}

// A page that cannot be written is named by its own file and page, whichever file is being
// read when its failure shows: pages are written behind the reading (a 16-bit page cannot be
// PDF/A-1b; the JPEG pages after it are fine).
func TestPageErrorNamesItsFile(t *testing.T) {
	dir := t.TempDir()
	sixteen := filepath.Join(dir, "a-16bit.png")
	g := image.NewGray16(image.Rect(0, 0, 40, 30))
	for i := range g.Pix {
		g.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sixteen, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sources := []convert.Source{{Path: sixteen}}
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("b%d.jpg", i))
		if err := testpki.WriteJPEG(p, testpki.ScanPage(40, uint64(i)), 200); err != nil {
			t.Fatal(err)
		}
		sources = append(sources, convert.Source{Path: p})
	}
	for n := 1; n <= len(sources); n++ { // the bad page with 0 to 3 pages after it
		d := convert.Document{FileCode: "H99.2026.03", Ordinal: n, Out: filepath.Join(dir, "out.pdf"), Sources: sources[:n]}
		_, err := convert.Convert(d, convert.Options{Part: convert.PDFA1B, DPI: 200, Profile: convert.ProfileND30})
		if err == nil || !strings.HasPrefix(err.Error(), sixteen+": page 1: ") || !strings.Contains(err.Error(), "16-bit") {
			t.Errorf("%d sources: error %v, want one starting %q and naming the 16 bits", n, err, sixteen+": page 1: ")
		}
	}
}

// A CMYK TIFF (decoded, re-encoded to Flate) keeps its four inks: refused without a CMYK
// profile (the output intent is sRGB, and turning inks into RGB changes colours), written as
// [/ICCBased profile] with its samples as they are with one. It was turned into RGB before.
func TestConvertCMYKTIFF(t *testing.T) {
	magick := imageMagick(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "colour.png")
	writePNGFile(t, src, testpki.ScanPage(100, 7).SubImage(image.Rect(40, 40, 40+120, 40+90)))
	file := im(t, magick, src, "-colorspace", "CMYK", "-alpha", "off", "-compress", "LZW", "-density", "200", "-units", "PixelsPerInch", filepath.Join(dir, "cmyk.tif"))
	if p := inspect(t, file)[0]; p.ColorSpace != "DeviceCMYK" || p.ICC != nil {
		t.Fatalf("not a CMYK TIFF without a profile: %+v", p)
	}
	opts := convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30}
	if _, err := convert.Convert(doc(file, filepath.Join(dir, "no-profile.pdf")), opts); err == nil || !strings.Contains(err.Error(), "without a CMYK ICC profile") {
		t.Errorf("without a profile: %v, want a refusal", err)
	}
	// a CMYK profile (the sRGB one's bytes, its header saying CMYK: only the header is read)
	icc, err := os.ReadFile("icc/sRGB.icc")
	if err != nil {
		t.Fatal(err)
	}
	copy(icc[16:], "CMYK")
	profile := filepath.Join(dir, "cmyk.icc")
	if err := os.WriteFile(profile, icc, 0o644); err != nil {
		t.Fatal(err)
	}
	// (ImageMagick embeds a profile given to an image that has none, changing nothing else)
	file = im(t, magick, file, "-profile", profile, "-compress", "LZW", filepath.Join(dir, "cmyk-profile.tif"))
	out := filepath.Join(dir, "profile.pdf")
	if _, err := convert.Convert(doc(file, out), opts); err != nil {
		t.Fatal(err)
	}
	pim := pdfImages(t, out)[0]
	checkICC(t, 1, pim, icc)
	// the inks as libtiff reads them (ImageMagick's raw CMYK output)
	raw := im(t, magick, file, "-depth", "8", "cmyk:"+filepath.Join(dir, "inks.bin"))
	inks, err := os.ReadFile(strings.TrimPrefix(raw, "cmyk:"))
	if err != nil {
		t.Fatal(err)
	}
	w, h := intOf(pim.dict["Width"]), intOf(pim.dict["Height"])
	got := flateSamples(t, pim.dict, pim.raw, w, h, 4, 8)
	if len(got) != len(inks) || w != 120 || h != 90 {
		t.Fatalf("%d samples of %d×%d, the TIFF %d", len(got), w, h, len(inks))
	}
	for i, v := range got {
		if byte(v) != inks[i] {
			t.Fatalf("sample %d is %d, the TIFF's %d: not its four inks as they are", i, v, inks[i])
		}
	}
}

// An error found while decoding a TIFF page names the file once and the page once.
func TestTIFFDecodeErrorNamesPageOnce(t *testing.T) {
	magick := imageMagick(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "colour.png")
	writePNGFile(t, src, testpki.ScanPage(100, 9).SubImage(image.Rect(0, 0, 200, 150)))
	file := im(t, magick, src, "-compress", "LZW", "-density", "200", "-units", "PixelsPerInch", filepath.Join(dir, "lzw.tif"))
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := inspect(t, file)[0].Strips[0]
	for i := s.Off + 2; i < s.Off+s.Len; i++ {
		b[i] = 0xFF // not LZW any more
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = convert.Convert(doc(file, filepath.Join(dir, "out.pdf")), convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30})
	if err == nil || strings.Count(err.Error(), file) != 1 || strings.Count(err.Error(), "page 1") != 1 || !strings.HasPrefix(err.Error(), file+": TIFF page 1: ") {
		t.Errorf("error %v, want one naming %s and its page once", err, file)
	}
}

// TIFF colour planes stored apart (PlanarConfiguration 2, ImageMagick's -interlace plane), 8
// and 16 bits, compressed or not, with a predictor, in strips or tiles, either byte order: the
// samples, put back together, are libtiff's (ImageMagick's raw output). They were refused
// before.
func TestConvertPlanarTIFF(t *testing.T) {
	testenv.NeedTools(t, "tiffinfo")
	magick := imageMagick(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "colour.png")
	writePNGFile(t, src, testpki.ScanPage(100, 11).SubImage(image.Rect(30, 30, 30+101, 30+77)))
	for _, depth := range []string{"8", "16"} {
		chunky := im(t, magick, src, "-depth", depth, "-type", "TrueColor", "-alpha", "off", "-compress", "none", "-density", "200", "-units", "PixelsPerInch", filepath.Join(dir, "chunky"+depth+".tif"))
		raw := filepath.Join(dir, "samples"+depth+".bin")
		im(t, magick, chunky, "-depth", depth, "-endian", "MSB", "rgb:"+raw)
		want, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		for i, args := range [][]string{
			{"-compress", "LZW"},
			{"-compress", "Zip", "-define", "tiff:predictor=2", "-define", "tiff:rows-per-strip=16"},
			{"-compress", "None", "-define", "tiff:rows-per-strip=7", "-endian", "MSB"},
			{"-compress", "LZW", "-define", "tiff:predictor=2", "-define", "tiff:tile-geometry=32x32", "-endian", "LSB"},
		} {
			file := filepath.Join(dir, fmt.Sprintf("planar%s-%d.tif", depth, i))
			im(t, magick, chunky, append(append([]string{"-interlace", "plane"}, args...), file)...)
			if b, _ := exec.Command("tiffinfo", file).Output(); !bytes.Contains(b, []byte("separate image planes")) {
				t.Fatalf("%s %v: not a planar TIFF:\n%s", depth, args, b)
			}
			out := filepath.Join(dir, fmt.Sprintf("planar%s-%d.pdf", depth, i))
			if _, err := convert.Convert(doc(file, out), convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30}); err != nil {
				t.Fatalf("%s %v: %v", depth, args, err)
			}
			pim := pdfImages(t, out)[0]
			bpc := intOf(pim.dict["BitsPerComponent"])
			got := flateSamples(t, pim.dict, pim.raw, 101, 77, 3, bpc)
			bb := bpc / 8
			if fmt.Sprint(bpc) != depth || len(got)*bb != len(want) {
				t.Fatalf("%s %v: %d samples of %d bits, libtiff gives %d bytes", depth, args, len(got), bpc, len(want))
			}
			for j, v := range got {
				w := int(want[j*bb])
				if bb == 2 {
					w = w<<8 | int(want[j*bb+1])
				}
				if v != w {
					t.Fatalf("%s %v: sample %d (pixel %d) is %d, libtiff's %d", depth, args, j, j/3, v, w)
				}
			}
		}
	}
}

// TIFF samples that carry less than they seem, and palettes that carry more: an 8-bit gray
// page with an opaque or unspecified extra sample is an 8-bit gray page (it became 16-bit RGB,
// and PDF/A-1b refused it as 16-bit); a ColorMap's 16-bit colours stay 16-bit (they were cut
// to their high byte).
func TestConvertTIFFSampleDepths(t *testing.T) {
	magick := imageMagick(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "colour.png")
	writePNGFile(t, src, testpki.ScanPage(100, 13).SubImage(image.Rect(20, 20, 20+64, 20+48)))
	for _, extra := range []string{"associated", "unassociated", "unspecified"} {
		file := im(t, magick, src, "-colorspace", "Gray", "-alpha", "set", "-define", "tiff:alpha="+extra, "-compress", "LZW", "-density", "200", "-units", "PixelsPerInch", filepath.Join(dir, "gray-"+extra+".tif"))
		for _, part := range []convert.Part{convert.PDFA2B, convert.PDFA1B} {
			out := filepath.Join(dir, "gray-"+extra+"-"+string(part)+".pdf")
			if _, err := convert.Convert(doc(file, out), convert.Options{Part: part, Profile: convert.ProfileND30}); err != nil {
				t.Fatalf("%s, %s: %v", extra, part, err)
			}
			d := pdfImages(t, out)[0].dict
			if d["ColorSpace"] != types.Name("DeviceGray") || d["BitsPerComponent"] != types.Integer(8) || d["SMask"] != nil {
				t.Errorf("%s, %s: %v %v bits, soft mask %v; want 8-bit DeviceGray, none", extra, part, d["ColorSpace"], d["BitsPerComponent"], d["SMask"])
			}
		}
	}
	// a palette of 16-bit colours: ImageMagick's (each v×257), one entry made 10474
	file := im(t, magick, src, "-colors", "4", "-type", "Palette", "-compress", "LZW", "-density", "200", "-units", "PixelsPerInch", filepath.Join(dir, "palette.tif"))
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bo := binary.ByteOrder(binary.LittleEndian)
	if string(b[:2]) == "MM" {
		bo = binary.BigEndian
	}
	ifd, patched := bo.Uint32(b[4:]), false
	for i := range uint32(bo.Uint16(b[ifd:])) {
		if e := ifd + 2 + 12*i; bo.Uint16(b[e:]) == 320 { // ColorMap: reds, then greens, then blues
			bo.PutUint16(b[bo.Uint32(b[e+8:]):], 10474)
			patched = true
		}
	}
	if !patched {
		t.Fatal("no ColorMap")
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "palette.pdf")
	if _, err := convert.Convert(doc(file, out), convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30}); err != nil {
		t.Fatal(err)
	}
	pim := pdfImages(t, out)[0]
	if pim.dict["BitsPerComponent"] != types.Integer(16) {
		t.Fatalf("a 16-bit palette became %v-bit samples", pim.dict["BitsPerComponent"])
	}
	got := flateSamples(t, pim.dict, pim.raw, 64, 48, 3, 16)
	if !slices.Contains(got, 10474) {
		t.Errorf("the palette's 16-bit red 10474 is not among the samples")
	}
	if _, err := convert.Convert(doc(file, filepath.Join(dir, "palette-1b.pdf")), convert.Options{Part: convert.PDFA1B, Profile: convert.ProfileND30}); err == nil || !strings.Contains(err.Error(), "16-bit") {
		t.Errorf("a 16-bit palette under PDF/A-1b: %v, want a refusal naming the 16 bits", err)
	}
}

// A page without a resolution is reported as such, not as scanned at 0 dpi.
func TestProfileNoResolution(t *testing.T) {
	for _, c := range []struct {
		dpi  float64
		want string
	}{{0, "gives no resolution"}, {150, "scanned at 150 dpi"}} {
		probs := convert.ProfileND30.Check(convert.Document{FileCode: "H99.2026.01", Ordinal: 1}, convert.Stats{Pages: 1, LowestDPI: c.dpi}, &convert.Result{Pages: 1})
		i := slices.IndexFunc(probs, func(p convert.Problem) bool { return p.Code == "low-dpi" })
		if i < 0 || !strings.Contains(probs[i].Text, c.want) {
			t.Errorf("%g dpi: %+v, want a low-dpi error saying %q", c.dpi, probs, c.want)
		}
	}
}

// A JPEG shows as its EXIF Orientation says, each of the eight (mirrored ones through the
// image's matrix, turns through the page's /Rotate): MuPDF's render of the page equals the
// stored image turned and mirrored here by the definition of the tag.
func TestConvertOrientations(t *testing.T) {
	testenv.NeedTools(t, "mutool")
	dir := t.TempDir()
	// a gradient that differs in every direction
	img := image.NewRGBA(image.Rect(0, 0, 90, 60))
	for y := 0; y < 60; y++ {
		for x := 0; x < 90; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / 89), uint8(y * 255 / 59), uint8(255 - (x+y)*255/148), 255})
		}
	}
	plain := filepath.Join(dir, "plain.jpg")
	if err := testpki.WriteJPEG(plain, img, 100); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	b := stored.Bounds()
	W, H := b.Dx(), b.Dy()
	// where display pixel (x, y) comes from in the stored image (TIFF 6.0 Orientation)
	from := map[int]func(x, y int) (int, int){
		1: func(x, y int) (int, int) { return x, y },
		2: func(x, y int) (int, int) { return W - 1 - x, y },
		3: func(x, y int) (int, int) { return W - 1 - x, H - 1 - y },
		4: func(x, y int) (int, int) { return x, H - 1 - y },
		5: func(x, y int) (int, int) { return y, x },
		6: func(x, y int) (int, int) { return y, H - 1 - x },
		7: func(x, y int) (int, int) { return W - 1 - y, H - 1 - x },
		8: func(x, y int) (int, int) { return W - 1 - y, x },
	}
	for o := 1; o <= 8; o++ {
		file := filepath.Join(dir, fmt.Sprintf("o%d.jpg", o))
		if err := os.WriteFile(file, withExifOrientation(src, uint16(o)), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, fmt.Sprintf("o%d.pdf", o))
		if _, err := convert.Convert(doc(file, out), convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30}); err != nil {
			t.Fatal(err)
		}
		png := filepath.Join(dir, fmt.Sprintf("o%d.png", o))
		mutool(t, "draw", "-q", "-r", "100", "-c", "rgb", "-o", png, out, "1")
		dw, dh := W, H
		if o >= 5 {
			dw, dh = H, W
		}
		want := image.NewRGBA(image.Rect(0, 0, dw, dh))
		for y := 0; y < dh; y++ {
			for x := 0; x < dw; x++ {
				sx, sy := from[o](x, y)
				want.Set(x, y, stored.At(b.Min.X+sx, b.Min.Y+sy))
			}
		}
		t.Run(fmt.Sprint(o), func(t *testing.T) { compareRendered(t, readPNG(t, png), want, "the stored image oriented") })
	}
}

// Gray with transparency stays gray (DeviceGray and a soft mask, over its gray profile), PNG
// and TIFF alike: it was written as RGB, and its gray profile dropped.
func TestConvertGrayAlpha(t *testing.T) {
	magick := imageMagick(t)
	dir := t.TempDir()
	icc, err := os.ReadFile("icc/sRGB.icc")
	if err != nil {
		t.Fatal(err)
	}
	copy(icc[16:], "GRAY") // only the header is read
	png := filepath.Join(dir, "graya.png")
	if err := os.WriteFile(png, encodePNG(pngSpec{ctype: 4, depth: 8, icc: icc}, 40, 30, 5), 0o644); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "colour.png")
	writePNGFile(t, src, testpki.ScanPage(100, 19).SubImage(image.Rect(0, 0, 40, 30)))
	tif := im(t, magick, src, "-colorspace", "Gray", "-alpha", "set", "-channel", "A", "-evaluate", "set", "50%", "+channel", "-define", "tiff:alpha=unassociated", "-compress", "LZW", "-density", "200", "-units", "PixelsPerInch", filepath.Join(dir, "graya.tif"))
	for _, c := range []struct {
		file string
		icc  bool
	}{{png, true}, {tif, false}} {
		out := c.file + ".pdf"
		if _, err := convert.Convert(doc(c.file, out), convert.Options{Part: convert.PDFA2B, DPI: 200, Profile: convert.ProfileND30}); err != nil {
			t.Fatal(err)
		}
		pim := pdfImages(t, out)[0]
		if pim.smask == nil {
			t.Errorf("%s: no soft mask", c.file)
		}
		if c.icc {
			checkICC(t, 1, pim, icc)
		} else if pim.dict["ColorSpace"] != types.Name("DeviceGray") {
			t.Errorf("%s: colour space %v, want DeviceGray", c.file, pim.dict["ColorSpace"])
		}
	}
}
