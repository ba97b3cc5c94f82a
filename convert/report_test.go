package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

const qaHostile = `<script>alert(1)</script>" onload="x`

// qaFolder converts the test dossier (a colour JPEG page, a two-page bilevel G4 TIFF, a colour
// PNG page, all 200 dpi) into a new output folder and returns it with the results.
func qaFolder(t *testing.T) (string, []*Result) {
	t.Helper()
	folder, err := testpki.WriteDossier(t.TempDir(), "H99.2026.01%2FQĐ", 200)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	docs, err := PlanFolders([]string{folder}, out)
	if err != nil {
		t.Fatal(err)
	}
	var results []*Result
	for _, d := range docs {
		r, err := Convert(d, Options{Part: PDFA2B, Profile: ProfileND30, Producer: "test"})
		if err != nil {
			t.Fatalf("%s: %v", d.Out, err)
		}
		results = append(results, r)
	}
	return out, results
}

// qaWriteManifest writes manifest.json as vbdt convert does.
func qaWriteManifest(t *testing.T, dir string, results []*Result) {
	t.Helper()
	js, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func qaPage(t *testing.T, qa *QA) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteQAHTML(&b, qa); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReport(t *testing.T) {
	testenv.NeedTools(t, "mutool")
	dir, results := qaFolder(t)
	// a hostile manifest: its metadata and problems are shown, escaped
	results[0].Fields = map[string]string{"Subject": qaHostile, "TypeName": "Quyết định"}
	results[2].Problems = append(results[2].Problems, Problem{Severity: "warning", Code: "x", Text: qaHostile})
	qaWriteManifest(t, dir, results)

	start := time.Now()
	qa, err := Report(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report of %d documents, %d pages in %v", qa.Totals.Documents, qa.Totals.Pages, time.Since(start).Round(time.Millisecond))
	if qa.Renderer != "mutool" {
		t.Errorf("renderer %q", qa.Renderer)
	}
	tt := qa.Totals
	if tt.Documents != 3 || tt.Pages != 4 || tt.NonConforming != 1 || tt.Unreadable != 0 || tt.Changed != 0 {
		t.Errorf("totals %+v", tt)
	}
	if tt.ByFlag[FlagNotColour] != 2 || tt.ByFlag[FlagBilevel] != 2 || tt.ByFlag[FlagPassthrough] != 3 ||
		tt.ByFlag[FlagReencoded] != 1 || tt.ByFlag[FlagBlank] != 0 || tt.ByFlag[FlagLowDPI] != 0 || tt.ByFlag[FlagRotated] != 0 {
		t.Errorf("pages by flag %v", tt.ByFlag)
	}
	thumbs := 0
	for i, d := range qa.Documents {
		if len(d.Findings) > 0 {
			t.Errorf("%s: %+v", d.Out, d.Findings)
		}
		for _, p := range d.PageChecks {
			if p.Thumbnail == nil {
				t.Errorf("%s page %d: no thumbnail", d.Out, p.Number)
				continue
			}
			thumbs++
			if p.Width < 95 || p.Width > 105 || p.Height < 135 || p.Height > 145 {
				t.Errorf("%s page %d: thumbnail %dx%d, want about 100x140 (A4 at 12 dpi)", d.Out, p.Number, p.Width, p.Height)
			}
			if p.White < 0.3 || p.White > qaBlankShare {
				t.Errorf("%s page %d: %.3f near white", d.Out, p.Number, p.White)
			}
			colour := i != 1 // the TIFF is bilevel
			if p.Has(FlagNotColour) == colour || p.Has(FlagBilevel) == colour {
				t.Errorf("%s page %d: flags %v", d.Out, p.Number, p.Flags)
			}
		}
	}
	if thumbs != 4 {
		t.Errorf("%d thumbnails, want 4", thumbs)
	}
	if d := qa.Documents[1]; d.Conforms || !d.PageChecks[0].Has(FlagPassthrough) || !d.PageChecks[1].Has(FlagReencoded) {
		t.Errorf("the bilevel document: conforms %v, pages %+v", d.Conforms, d.PageChecks)
	}

	page := qaPage(t, qa)
	for _, want := range []string{
		"<!DOCTYPE html>", `<html lang="vi">`, `<meta charset="utf-8">`, "@media print", "size: A4",
		"H99.2026.01/QĐ", "H99.2026.01%2FQĐ.002.pdf", "Quyết định",
		"Không phải ảnh màu", "Not colour", "Đen trắng 1 bit", "Giữ nguyên ảnh quét", "Mã hóa lại",
		"Đạt yêu cầu", "Chưa đạt", "Does not conform",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, bad := range []string{
		"<script", "alert(1)</script>", `" onload="x`, // the hostile strings, raw
		"<link", "http://", "https://", "@import", "url(", "ZgotmplZ",
	} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	if n := strings.Count(page, `src="data:image/png;base64,`); n != 4 {
		t.Errorf("%d embedded thumbnails, want 4", n)
	}
	if n := len(regexp.MustCompile(` src="`).FindAllString(page, -1)); n != 4 {
		t.Errorf("%d src attributes, want only the 4 thumbnails", n)
	}
	for _, tag := range []string{"html", "head", "body", "section", "table", "tr", "td", "th", "div", "ul", "li", "span", "footer", "header", "style", "title", "h1", "h2", "h3", "p", "code", "strong", "a"} {
		open := strings.Count(page, "<"+tag+">") + strings.Count(page, "<"+tag+" ")
		if closed := strings.Count(page, "</"+tag+">"); open != closed {
			t.Errorf("<%s> opened %d times, closed %d times", tag, open, closed)
		}
	}
	t.Run("chromium", func(t *testing.T) { qaChromium(t, page) })
}

// TestReportSidecars reads a folder without manifest.json from its sidecars, and sees a PDF
// changed or gone, a page that looks blank, a rotated one and a low resolution.
func TestReportSidecars(t *testing.T) {
	testenv.NeedTools(t, "mutool", "qpdf")
	dir, results := qaFolder(t)
	// the PNG document: its page is blank, and its sidecar says 150 dpi
	blank := image.NewRGBA(image.Rect(0, 0, 1654, 2339))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	if err := testpki.WritePNG(results[2].Sources[0].Path, blank, 200); err != nil {
		t.Fatal(err)
	}
	d := results[2].Document
	r, err := Convert(d, Options{Part: PDFA2B, Profile: ProfileND30, Producer: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r.Embedded[0].DPI = 150
	side, _ := json.Marshal(r)
	os.WriteFile(SidecarPath(r.Out), side, 0o644)
	// the JPEG document's PDF is changed: its page turned a quarter
	if b, err := exec.Command("qpdf", "--rotate=+90:1", "--replace-input", results[0].Out).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v\n%s", err, b)
	}

	qa, err := Report(dir)
	if err != nil {
		t.Fatal(err)
	}
	if qa.Totals.Documents != 3 || qa.Totals.Changed != 1 || qa.Totals.ByFlag[FlagBlank] != 1 || qa.Totals.ByFlag[FlagLowDPI] != 1 {
		t.Errorf("totals %+v", qa.Totals)
	}
	if p := qa.Documents[2].PageChecks[0]; !p.Has(FlagBlank) || !p.Has(FlagLowDPI) || p.Has(FlagNotColour) {
		t.Errorf("the blank page: %+v", p)
	}
	if fs := qa.Documents[0].Findings; len(fs) != 1 || fs[0].Code != "changed" {
		t.Errorf("the changed PDF: %+v", fs)
	}
	if p := qa.Documents[0].PageChecks[0]; !p.Has(FlagRotated) || p.Rotate != 90 || p.Width < p.Height {
		t.Errorf("the rotated page: %+v", p)
	}

	// a PDF gone: the document is in the report, unreadable
	os.Remove(results[1].Out)
	qaWriteManifest(t, dir, results)
	qa, err = Report(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !qa.Documents[1].Unreadable() || qa.Totals.Unreadable != 1 || len(qa.Documents[1].PageChecks) != 2 {
		t.Errorf("a missing PDF: %+v", qa.Documents[1])
	}
	page := qaPage(t, qa)
	for _, want := range []string{"Không đọc được", "Trang trắng?", "Độ phân giải thấp", "Tệp bị thay đổi", "Không có ảnh", "Trang xoay"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	// a folder of nothing
	if _, err := Report(t.TempDir()); !errors.Is(err, ErrNoResults) {
		t.Errorf("an empty folder: %v", err)
	}
}

// TestReportGhostscript draws the thumbnails with Ghostscript when MuPDF is not there.
func TestReportGhostscript(t *testing.T) {
	testenv.NeedTools(t, "gs")
	dir, _ := qaFolder(t)
	defer func(r []string) { qaRenderers = r }(qaRenderers)
	qaRenderers = []string{"gs"}
	qa, err := Report(dir)
	if err != nil {
		t.Fatal(err)
	}
	if qa.Renderer != "gs" || qa.Totals.Pages != 4 || qa.Totals.ByFlag[FlagNotColour] != 2 || qa.Totals.ByFlag[FlagBlank] != 0 {
		t.Errorf("%s: %+v", qa.Renderer, qa.Totals)
	}
	for _, d := range qa.Documents {
		for _, p := range d.PageChecks {
			if p.Thumbnail == nil || p.Width < 95 || p.Width > 105 {
				t.Errorf("%s page %d: %dx%d", d.Out, p.Number, p.Width, p.Height)
			}
		}
	}
}

func TestWriteQAHTMLEmpty(t *testing.T) {
	if page := qaPage(t, nil); !strings.Contains(page, "Không có tài liệu nào") {
		t.Error("an empty page does not say it is empty")
	}
	errWrite := errors.New("disk full")
	if err := WriteQAHTML(qaFailingWriter{errWrite}, &QA{}); !errors.Is(err, errWrite) {
		t.Errorf("WriteQAHTML = %v, want %v", err, errWrite)
	}
	for n, want := range map[int64]string{0: "0 byte", 999: "999 byte", 1000: "1.000 byte", 1234567: "1.234.567 byte", -1234: "-1.234 byte"} {
		if got := qaBytes(n); got != want {
			t.Errorf("qaBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for _, f := range QAFlags {
		if v := qaFlagOf(f); v.EN == "" || v.VI == string(f) {
			t.Errorf("flag %s has no words", f)
		}
	}
}

type qaFailingWriter struct{ err error }

func (w qaFailingWriter) Write([]byte) (int, error) { return 0, w.err }

// The not-colour badge's red, of report.html.tmpl.
var qaRed = [3]uint8{0xc6, 0x28, 0x28}

// qaChromium renders the page in headless Chromium: the screenshot must show the badges (the
// CSS applied) and the DOM must hold the file code as text.
func qaChromium(t *testing.T, page string) {
	browser := testenv.Chromium(t)
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	img := browser.Screenshot(t, file, 1000, 1400)
	t.Logf("screenshot in %v", time.Since(start).Round(time.Millisecond))
	n := testenv.CountNear(img, qaRed, 12)
	t.Logf("red badge pixels: %d", n)
	if n < 300 {
		t.Errorf("%d red pixels, want > 300: the badges did not render", n)
	}

	start = time.Now()
	dom := browser.DOM(t, file)
	t.Logf("DOM dump in %v", time.Since(start).Round(time.Millisecond))
	for _, want := range []string{"H99.2026.01/QĐ", "Không phải ảnh màu", "&lt;script&gt;alert(1)&lt;/script&gt;\" onload=\"x"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script") {
		t.Error("the DOM has a script element")
	}
	if n := strings.Count(dom, "<img "); n != 4 {
		t.Errorf("the DOM has %d images, want 4", n)
	}
}
