package convert_test

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// textScan draws lines of text on a white A5 sheet at 300 dpi, as a scanner would see a page.
func textScan(t *testing.T, lines []string) image.Image {
	t.Helper()
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(t, err.Error())
	}
	data, err := os.ReadFile(face.Regular)
	if err != nil {
		t.Fatal(err)
	}
	f, err := opentype.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 14, DPI: 300, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 1748, 2480))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.Black, Face: ff}
	for i, l := range lines {
		d.Dot = fixed.P(200, 400+i*120)
		d.DrawString(l)
	}
	return img
}

func TestOCRLayer(t *testing.T) {
	testenv.NeedTools(t, "tesseract", "pdftotext", "qpdf")
	if out, _ := exec.Command("tesseract", "--list-langs").CombinedOutput(); !strings.Contains(string(out), "vie") {
		testenv.Need(t, "Tesseract's Vietnamese data (apt-get install tesseract-ocr-vie)")
	}
	for _, part := range []convert.Part{convert.PDFA2B, convert.PDFA1B} {
		t.Run(string(part), func(t *testing.T) {
			dir := t.TempDir()
			scans := filepath.Join(dir, "H99.2026.02")
			os.MkdirAll(scans, 0o755)
			img := textScan(t, []string{"QUYẾT ĐỊNH", "Về việc ban hành Quy chế làm việc", "của Ủy ban nhân dân tỉnh"})
			if err := testpki.WritePNG(filepath.Join(scans, "01.png"), img, 300); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "pdfa")
			docs, err := convert.PlanFolders([]string{scans}, out)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := convert.Convert(docs[0], convert.Options{Part: part, Profile: convert.ProfileND30, Producer: "test"}); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(docs[0].Out)
			face, _ := fonts.Find("")
			f, err := pdf.LoadFont(face.Regular)
			if err != nil {
				t.Fatal(err)
			}
			r, done, err := convert.AddOCR(context.Background(), docs[0].Out, convert.OCROptions{Lang: "vie", Font: f})
			if err != nil || !done || r.OCR == nil || r.OCR.Words < 10 {
				t.Fatalf("AddOCR: %v, done %v, %+v", err, done, r)
			}
			after, _ := os.ReadFile(docs[0].Out)
			if !bytes.HasPrefix(after, before) || len(after) == len(before) {
				t.Fatal("the text layer is not an incremental update of the converted document")
			}
			if b, err := exec.Command("qpdf", "--check", docs[0].Out).CombinedOutput(); err != nil {
				t.Fatalf("qpdf --check: %v\n%s", err, b)
			}
			text, err := exec.Command("pdftotext", docs[0].Out, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"QUYẾT", "ĐỊNH", "Quy", "chế", "tỉnh"} {
				if !strings.Contains(string(text), want) {
					t.Errorf("the text layer lacks %q: %q", want, text)
				}
			}
			side, err := convert.ReadSidecar(docs[0].Out)
			if err != nil || side.Bytes != int64(len(after)) || side.OCR == nil {
				t.Errorf("the sidecar does not record the layer: %+v, %v", side, err)
			}
			// a second run leaves it alone
			if _, done, err := convert.AddOCR(context.Background(), docs[0].Out, convert.OCROptions{Lang: "vie", Font: f}); err != nil || done {
				t.Errorf("a second OCR: done %v, %v", done, err)
			}
		})
	}
}
