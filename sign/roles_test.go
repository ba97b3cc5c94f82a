package sign

import (
	"context"
	"flag"
	"github.com/vbdt/vbdt/internal/nd30"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden rendering")

// decree30Flow runs approver → stamp → issuer and returns the issued document.
func decree30Flow(t *testing.T, fx *fixture) (string, pdf.Rect) {
	t.Helper()
	sigPNG, sealPNG, err := testpki.WriteImages(fx.dir)
	if err != nil {
		t.Fatal(err)
	}
	sigImg, err := pdf.LoadPNG(sigPNG)
	if err != nil {
		t.Fatal(err)
	}
	seal, err := pdf.LoadPNG(sealPNG)
	if err != nil {
		t.Fatal(err)
	}
	if seal.DPI < 299 || seal.DPI > 301 {
		t.Fatalf("seal DPI %v", seal.DPI)
	}
	when := time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("+07", 7*3600))
	sign := func(in, out string, k interface{}, a Appearance) {
		t.Helper()
		doc, err := pdf.OpenFile(in)
		if err != nil {
			t.Fatal(err)
		}
		key := fx.org
		if a.Role == nd30.Approver {
			key = fx.approv
		}
		r := Request{Signer: key, Chain: key.Chain, Time: when}
		if err := a.Apply(doc, &r); err != nil {
			t.Fatal(err)
		}
		if _, err := SignFile(context.Background(), in, out, r); err != nil {
			t.Fatal(err)
		}
	}
	approved := filepath.Join(fx.dir, "approved.pdf")
	sign(fx.doc, approved, nil, Appearance{Role: nd30.Approver, Image: sigImg, Font: fx.font})
	mustValidBy(t, approved, 1, false) // pdfcpu fails on the organization's empty field
	doc, _ := pdf.OpenFile(approved)
	inc := doc.NewIncrement()
	if err := inc.FillText(nd30.NumberField, "Số: 15/QĐ-UBND", nil); err != nil {
		t.Fatal(err)
	}
	if err := inc.FillText(nd30.DateField, "Hà Nội, ngày 05 tháng 01 năm 2026", nil); err != nil {
		t.Fatal(err)
	}
	w, _ := inc.Bytes()
	stamped := filepath.Join(fx.dir, "stamped.pdf")
	orig, _ := os.ReadFile(approved)
	os.WriteFile(stamped, append(orig, w.Bytes...), 0o644)
	issued := filepath.Join(fx.dir, "issued.pdf")
	sign(stamped, issued, nil, Appearance{Role: nd30.Issuer, Seal: seal})
	mustValid(t, issued, 2)
	ap, ok := approverRect(doc)
	if !ok {
		t.Fatal("no approver widget")
	}
	return issued, ap.Rect
}

func render(t *testing.T, path string, dpi int) *image.RGBA {
	t.Helper()
	testenv.NeedTools(t, "pdftoppm")
	prefix := filepath.Join(t.TempDir(), "page")
	if out, err := exec.Command("pdftoppm", "-r", strconv.Itoa(dpi), "-png", "-singlefile", path, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	f, _ := os.Open(prefix + ".png")
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// count counts pixels in a PDF rectangle (points) that match.
func count(img *image.RGBA, r pdf.Rect, pageH float64, dpi int, match func(r, g, b uint8) bool) int {
	s := float64(dpi) / 72
	n := 0
	for y := int((pageH - r.Y2) * s); y < int((pageH-r.Y1)*s); y++ {
		for x := int(r.X1 * s); x < int(r.X2*s); x++ {
			c := img.RGBAAt(x, y)
			if match(c.R, c.G, c.B) {
				n++
			}
		}
	}
	return n
}

func isBlue(r, g, b uint8) bool { return b > 120 && r < 90 && g < 110 }
func isRed(r, g, b uint8) bool  { return r > 150 && g < 90 && b < 90 }

func TestDecree30Appearances(t *testing.T) {
	fx := setup(t, testpki.RSA)
	issued, ap := decree30Flow(t, fx)
	const dpi = 72
	img := render(t, issued, dpi)
	pageH := 841.89
	if n := count(img, ap, pageH, dpi, isBlue); n < 100 {
		t.Errorf("the approver's blue signature shows %d pixels in its place", n)
	}
	left := pdf.Rect{X1: ap.X1 - 90, Y1: ap.Y1 - 30, X2: ap.X1 + ap.Width()/3, Y2: ap.Y2 + 30}
	if n := count(img, left, pageH, dpi, isRed); n < 100 {
		t.Errorf("the red seal shows %d pixels left of and over the signature", n)
	}
	right := pdf.Rect{X1: ap.X1 + ap.Width()*0.5, Y1: ap.Y1, X2: ap.X2, Y2: ap.Y2}
	if n := count(img, right, pageH, dpi, isRed); n > 0 {
		t.Errorf("the seal reaches the right half of the signature (%d red pixels)", n)
	}
	text, _ := exec.Command("pdftotext", issued, "-").Output()
	if !strings.Contains(string(text), "15/QĐ-UBND") {
		t.Errorf("the number is not in the document's text")
	}
	// vbdt's fonts are embedded as subsets (tag+Name) with ToUnicode maps
	fontsOut, _ := exec.Command("pdffonts", issued).Output()
	subsets := 0
	for _, line := range strings.Split(string(fontsOut), "\n") {
		if f := strings.Fields(line); len(f) > 6 && strings.Contains(f[0], "+") {
			subsets++
			if f[len(f)-5] != "yes" || f[len(f)-4] != "yes" || f[len(f)-3] != "yes" {
				t.Errorf("font not embedded as a subset with ToUnicode: %s", line)
			}
		}
	}
	if subsets == 0 {
		t.Errorf("no subset font:\n%s", fontsOut)
	}
	if fi, _ := os.Stat(issued); fi.Size() > 300_000 {
		t.Errorf("the issued document is %d bytes: fonts or images are embedded too generously", fi.Size())
	}

	// Golden rendering, with a tolerance for rasterizer differences.
	golden := filepath.Join("testdata", "issued-golden.png")
	if *updateGolden {
		os.MkdirAll("testdata", 0o755)
		f, _ := os.Create(golden)
		png.Encode(f, img)
		f.Close()
	}
	gf, err := os.Open(golden)
	if err != nil {
		t.Fatalf("golden image: %v (run go test ./sign -run Appearances -update)", err)
	}
	defer gf.Close()
	want, err := png.Decode(gf)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("rendering is %v, golden %v", img.Bounds(), want.Bounds())
	}
	// Count pixels that differ clearly (anti-aliasing differences stay below the threshold):
	// moving the signature image by a line height changes about 1.3 % of the page.
	clear := 0
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			r1, g1, b1, _ := img.At(x, y).RGBA()
			r2, g2, b2, _ := want.At(x, y).RGBA()
			d := math.Abs(float64(r1>>8)-float64(r2>>8)) + math.Abs(float64(g1>>8)-float64(g2>>8)) + math.Abs(float64(b1>>8)-float64(b2>>8))
			if d > 96 {
				clear++
			}
		}
	}
	if frac := float64(clear) / float64(img.Bounds().Dx()*img.Bounds().Dy()); frac > 0.002 {
		t.Errorf("%.3f%% of the pixels differ clearly from the golden image (tolerance 0.2%%)", 100*frac)
	}
}

func TestAttachmentAndCopyText(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	when := time.Date(2026, 3, 5, 8, 45, 15, 0, time.FixedZone("+07", 7*3600))
	for _, a := range []Appearance{
		{Role: nd30.Attachment, Code: "15/QĐ-UBND", Font: fx.font, Time: when},
		{Role: nd30.Copy, CopyForm: "SAO LỤC", CopyAgency: "Văn phòng UBND tỉnh Thử Nghiệm", Font: fx.font, Time: when},
	} {
		doc, _ := pdf.OpenFile(fx.doc)
		r := Request{Signer: fx.org, Chain: fx.org.Chain, Time: when}
		if err := a.Apply(doc, &r); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(fx.dir, string(a.Role)+".pdf")
		if _, err := SignFile(context.Background(), fx.doc, out, r); err != nil {
			t.Fatal(err)
		}
		mustValid(t, out, 1)
		text, _ := exec.Command("pdftotext", "-f", "1", "-l", "1", "-x", "350", "-y", "0", "-W", "245", "-H", "80", out, "-").Output()
		for _, want := range []string{"2026-03-05T08:45:15+07:00"} {
			if !strings.Contains(string(text), want) {
				t.Errorf("%s: %q not at the top right:\n%s", a.Role, want, text)
			}
		}
		if a.Role == nd30.Copy && !strings.Contains(string(text), "SAO LỤC") {
			t.Errorf("copy form missing: %s", text)
		}
		if a.Role == nd30.Attachment && !strings.Contains(string(text), "15/QĐ-UBND") {
			t.Errorf("number missing: %s", text)
		}
	}
	bad := Appearance{Role: nd30.Copy, CopyForm: "SAO CHÉP", CopyAgency: "x", Font: fx.font}
	doc, _ := pdf.OpenFile(fx.doc)
	if err := bad.Apply(doc, &Request{}); err == nil {
		t.Error("an unknown copy form was accepted")
	}
}
