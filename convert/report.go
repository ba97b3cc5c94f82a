package convert

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vbdt/vbdt/convert/scan"
)

// The QA report is the archivist's look at a conversion's output folder before it is handed
// over: every page of every document as a thumbnail, with what deserves a second look — low
// resolution, a bilevel or grey scan, a page that looks blank, a rotated page, how the page
// went in — and each document's conformance. It is one self-contained HTML page (inline CSS
// and images, no script, no external resource) that opens offline and prints on A4.
// Every string that comes from a manifest or a sidecar (file codes, metadata, problems, paths)
// is hostile: html/template escapes it for the context it lands in.

// Flag is something about a page the archivist should see.
type Flag string

const (
	FlagLowDPI      Flag = "low-dpi"     // scanned at less than 200 dpi
	FlagBilevel     Flag = "bilevel"     // 1-bit black and white
	FlagNotColour   Flag = "not-colour"  // no colour channels (bilevel or grey)
	FlagBlank       Flag = "blank"       // the thumbnail is almost all white
	FlagRotated     Flag = "rotated"     // the page has a /Rotate (or its scan an orientation)
	FlagPassthrough Flag = "passthrough" // the scanner's bytes, as they are
	FlagReencoded   Flag = "re-encoded"  // re-encoded losslessly
)

// QAFlags lists the flags in the order the report shows them.
var QAFlags = []Flag{FlagLowDPI, FlagNotColour, FlagBilevel, FlagBlank, FlagRotated, FlagPassthrough, FlagReencoded}

// ErrNoResults is the error of a folder that holds no conversion results.
var ErrNoResults = errors.New("no manifest.json, and no sidecar (X.json next to X.pdf): not an output folder of vbdt convert")

// QA is the quality-assurance view of an output folder.
type QA struct {
	Dir       string       `json:"dir"`
	Renderer  string       `json:"renderer"` // the program that drew the thumbnails: "mutool" or "gs"
	Generated time.Time    `json:"generated"`
	Documents []QADocument `json:"documents"`
	Totals    QATotals     `json:"totals"`
}

// QADocument is a document of the folder: its sidecar (or manifest row), the PDF checked and
// its pages.
type QADocument struct {
	Result
	PDF        string   `json:"pdf"` // the file checked and drawn
	PageChecks []QAPage `json:"page_checks"`
	// Findings are what the report itself found wrong: the PDF missing, changed since its
	// sidecar was written, or not drawn.
	Findings []Problem `json:"report_problems,omitempty"`
}

// Unreadable says whether the document could not be checked: its PDF is missing or was not
// drawn.
func (d *QADocument) Unreadable() bool {
	return slices.ContainsFunc(d.Findings, func(p Problem) bool { return p.Code == "missing" || p.Code == "render" })
}

// Flagged counts the document's pages with flag f.
func (d *QADocument) Flagged(f Flag) int {
	n := 0
	for _, p := range d.PageChecks {
		if p.Has(f) {
			n++
		}
	}
	return n
}

// QAPage is one page: how it was embedded, its thumbnail and its flags.
type QAPage struct {
	Number int     `json:"page"`
	DPI    float64 `json:"dpi,omitempty"`
	Path   string  `json:"path,omitempty"` // PageResult.Path
	Bytes  int64   `json:"bytes,omitempty"`
	Rotate int     `json:"rotate,omitempty"`
	// White is the share of the thumbnail's pixels that are near white (0 to 1).
	White  float64 `json:"white_share"`
	Flags  []Flag  `json:"flags"`
	Width  int     `json:"thumbnail_width,omitempty"`
	Height int     `json:"thumbnail_height,omitempty"`
	// Thumbnail is the page drawn at 12 dpi, a PNG (nil when it could not be drawn).
	Thumbnail []byte `json:"-"`
}

// Has says whether the page has flag f.
func (p QAPage) Has(f Flag) bool { return slices.Contains(p.Flags, f) }

// QATotals are the folder's totals.
type QATotals struct {
	Documents     int   `json:"documents"`
	Pages         int   `json:"pages"`
	Bytes         int64 `json:"bytes"`
	NonConforming int   `json:"non_conforming"`
	// Unreadable counts the documents whose PDF is missing or could not be drawn.
	Unreadable int `json:"unreadable"`
	// Changed counts the documents whose PDF is not the one their sidecar describes.
	Changed int `json:"changed"`
	// Pages by flag.
	ByFlag map[Flag]int `json:"pages_by_flag"`
}

// Thresholds of the flags.
const (
	qaDPI        = 12    // thumbnails: an A4 page about 100 px wide
	qaBlankShare = 0.995 // a page is blank-looking when more of its thumbnail than this is near white
	qaNearWhite  = 0xe0  // each channel at least this: near white (off-white paper included)
)

// qaRenderers are the programs tried to draw thumbnails, in order.
var qaRenderers = []string{"mutool", "gs"}

// qaTimeout bounds the drawing of one document.
var qaTimeout = 10 * time.Minute

// Report reads the results of a conversion in dir — manifest.json, or when there is none every
// sidecar X.json next to its X.pdf — and checks every document: its PDF against the sidecar's
// fixity, every page drawn as a thumbnail and flagged. A document that cannot be read or drawn
// is in the report with why; Report fails only when dir holds no result (ErrNoResults) or
// nothing can draw (neither MuPDF's mutool nor Ghostscript's gs is installed).
func Report(dir string) (*QA, error) {
	results, err := qaResults(dir)
	if err != nil {
		return nil, err
	}
	renderer := ""
	for _, r := range qaRenderers {
		if _, err := exec.LookPath(r); err == nil {
			renderer = r
			break
		}
	}
	if renderer == "" {
		return nil, errors.New("neither MuPDF (mutool) nor Ghostscript (gs) is installed: the thumbnails need one (apt-get install mupdf-tools)")
	}
	qa := &QA{Dir: dir, Renderer: renderer, Generated: time.Now(), Documents: make([]QADocument, len(results)),
		Totals: QATotals{ByFlag: map[Flag]int{}}}
	var wg sync.WaitGroup
	work := make(chan int)
	workers := min(runtime.GOMAXPROCS(0), len(results))
	for range workers {
		wg.Go(func() {
			for i := range work {
				qa.Documents[i] = qaCheck(dir, renderer, results[i])
			}
		})
	}
	for i := range results {
		work <- i
	}
	close(work)
	wg.Wait()
	t := &qa.Totals
	for i := range qa.Documents {
		d := &qa.Documents[i]
		t.Documents++
		t.Pages += d.Pages
		t.Bytes += d.Bytes
		if !d.Conforms {
			t.NonConforming++
		}
		if d.Unreadable() {
			t.Unreadable++
		}
		if slices.ContainsFunc(d.Findings, func(p Problem) bool { return p.Code == "changed" }) {
			t.Changed++
		}
		for _, p := range d.PageChecks {
			for _, f := range p.Flags {
				t.ByFlag[f]++
			}
		}
	}
	return qa, nil
}

// qaResults reads the folder's manifest.json, or its sidecars.
func qaResults(dir string) ([]*Result, error) {
	f, err := os.Open(filepath.Join(dir, "manifest.json"))
	switch {
	case err == nil:
		defer f.Close()
		var results []*Result
		if err := json.NewDecoder(f).Decode(&results); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		results = slices.DeleteFunc(results, func(r *Result) bool { return r == nil })
		if len(results) == 0 {
			return nil, fmt.Errorf("%s lists no document (%w)", f.Name(), ErrNoResults)
		}
		return results, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var results []*Result
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		pdf := filepath.Join(dir, strings.TrimSuffix(name, ".json")+".pdf")
		if fi, err := os.Stat(pdf); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		r, err := ReadSidecar(pdf)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoResults)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Out < results[j].Out })
	return results, nil
}

// qaCheck checks a document: the PDF in dir (the manifest may name it by the path it was
// written to, from another working folder), its fixity, its pages.
func qaCheck(dir, renderer string, r *Result) QADocument {
	d := QADocument{Result: *r}
	find := func(sev, code, format string, a ...any) {
		d.Findings = append(d.Findings, Problem{Severity: sev, Code: code, Text: fmt.Sprintf(format, a...)})
	}
	d.PDF = filepath.Join(dir, filepath.Base(r.Out))
	if _, err := os.Stat(d.PDF); err != nil && r.Out != "" {
		if _, err := os.Stat(r.Out); err == nil {
			d.PDF = r.Out
		}
	}
	size, sum, err := qaHash(d.PDF)
	switch {
	case err != nil:
		find("error", "missing", "the PDF cannot be read: %v", err)
	case size != r.Bytes || (r.SHA256 != "" && sum != r.SHA256):
		find("error", "changed", "the PDF is not the one its sidecar describes (%d bytes, SHA-256 %s; the sidecar says %d bytes, %s)", size, sum, r.Bytes, r.SHA256)
	}
	var thumbs [][]byte
	var rotate []int
	if err == nil {
		thumbs, rotate, err = qaDraw(renderer, d.PDF)
		if err != nil {
			find("error", "render", "the pages cannot be drawn: %v", err)
		} else if len(thumbs) != r.Pages {
			find("error", "changed", "the PDF has %d pages, the sidecar says %d", len(thumbs), r.Pages)
		}
	}
	scanned := qaScanPages(r)
	n := max(r.Pages, len(thumbs))
	for i := range n {
		p := QAPage{Number: i + 1}
		if i < len(r.Embedded) {
			e := r.Embedded[i]
			p.DPI, p.Path, p.Bytes = e.DPI, e.Path, e.Bytes
		}
		var sp *scan.Page
		if i < len(scanned) {
			sp = &scanned[i]
		}
		if i < len(rotate) {
			p.Rotate = rotate[i]
		}
		if sp != nil && p.Rotate == 0 {
			p.Rotate = sp.Rotate
		}
		if i < len(thumbs) {
			p.Thumbnail = thumbs[i]
			if img, err := png.Decode(bytes.NewReader(thumbs[i])); err == nil {
				b := img.Bounds()
				p.Width, p.Height, p.White = b.Dx(), b.Dy(), qaWhiteShare(img)
			} else {
				p.Thumbnail = nil
			}
		}
		p.Flags = qaFlags(p, sp)
		d.PageChecks = append(d.PageChecks, p)
	}
	return d
}

// qaFlags are the flags of page p (sp: its scan, when the source file is still there).
func qaFlags(p QAPage, sp *scan.Page) []Flag {
	var flags []Flag
	if p.DPI > 0 && math.Round(p.DPI) < minDPI {
		flags = append(flags, FlagLowDPI)
	}
	bilevel := strings.Contains(p.Path, "CCITTFax") || strings.Contains(p.Path, "G4")
	notColour := bilevel
	if sp != nil {
		bilevel = bilevel || sp.Bilevel
		notColour = bilevel || !sp.Color
	}
	if notColour {
		flags = append(flags, FlagNotColour)
	}
	if bilevel {
		flags = append(flags, FlagBilevel)
	}
	if p.Thumbnail != nil && p.White > qaBlankShare {
		flags = append(flags, FlagBlank)
	}
	if p.Rotate%360 != 0 {
		flags = append(flags, FlagRotated)
	}
	switch {
	case strings.HasPrefix(p.Path, "passthrough"):
		flags = append(flags, FlagPassthrough)
	case strings.HasPrefix(p.Path, "re-encoded"):
		flags = append(flags, FlagReencoded)
	}
	return flags
}

// qaHash is a file's size and SHA-256.
func qaHash(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// qaScanPages are the document's pages as scanned — colour, bilevel, orientation — when every
// source file is still there as the sidecar's fixity describes it (its headers only are read),
// else nil.
func qaScanPages(r *Result) []scan.Page {
	var pages []scan.Page
	for i, src := range r.Sources {
		if i >= len(r.Document.Sources) {
			return nil
		}
		f, err := os.Open(src.Path)
		if err != nil {
			return nil
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != src.Bytes {
			f.Close()
			return nil
		}
		all, err := scan.Inspect(f, fi.Size())
		f.Close()
		if err != nil {
			return nil
		}
		want := r.Document.Sources[i].Pages
		if want == nil {
			pages = append(pages, all...)
			continue
		}
		for _, n := range want {
			if n < 1 || n > len(all) {
				return nil
			}
			pages = append(pages, all[n-1])
		}
	}
	if len(pages) != r.Pages {
		return nil
	}
	return pages
}

// qaDraw draws every page of a PDF at 12 dpi, once, in a temporary folder, and returns the PNGs
// and, with MuPDF, each page's /Rotate.
func qaDraw(renderer, pdf string) ([][]byte, []int, error) {
	tmp, err := os.MkdirTemp("", "vbdt-qa-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	abs, err := filepath.Abs(pdf) // never an argument that starts with "-"
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), qaTimeout)
	defer cancel()
	out := filepath.Join(tmp, "page-%d.png")
	var cmd *exec.Cmd
	switch renderer {
	case "mutool":
		cmd = exec.CommandContext(ctx, "mutool", "draw", "-q", "-r", strconv.Itoa(qaDPI), "-c", "rgb", "-o", out, abs)
	default:
		cmd = exec.CommandContext(ctx, "gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m",
			"-r"+strconv.Itoa(qaDPI), "-sOutputFile="+out, abs)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("%s: %v: %s", renderer, err, qaFirstLine(stderr.String()))
	}
	var thumbs [][]byte
	for i := 1; ; i++ {
		b, err := os.ReadFile(filepath.Join(tmp, fmt.Sprintf("page-%d.png", i)))
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		thumbs = append(thumbs, b)
	}
	if len(thumbs) == 0 {
		return nil, nil, fmt.Errorf("%s drew no page: %s", renderer, qaFirstLine(stderr.String()))
	}
	var rotate []int
	if renderer == "mutool" {
		if b, err := exec.CommandContext(ctx, "mutool", "pages", abs).Output(); err == nil {
			for _, m := range qaRotateRE.FindAllSubmatch(b, -1) {
				v, _ := strconv.Atoi(string(m[1]))
				rotate = append(rotate, ((v%360)+360)%360)
			}
			if len(rotate) != len(thumbs) {
				rotate = nil
			}
		}
	}
	return thumbs, rotate, nil
}

var qaRotateRE = regexp.MustCompile(`<Rotate v="(-?[0-9]+)"`)

func qaFirstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "ICC support is not available") {
			return l
		}
	}
	return "no message"
}

// qaWhiteShare is the share of an image's pixels that are near white.
func qaWhiteShare(img image.Image) float64 {
	b := img.Bounds()
	if b.Empty() {
		return 0
	}
	white := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 >= qaNearWhite && g>>8 >= qaNearWhite && bl>>8 >= qaNearWhite {
				white++
			}
		}
	}
	return float64(white) / float64(b.Dx()*b.Dy())
}

//go:embed report.html.tmpl
var qaFiles embed.FS

var qaTmpl = template.Must(template.New("report.html.tmpl").Funcs(qaFuncs).ParseFS(qaFiles, "report.html.tmpl"))

// WriteQAHTML writes the report as one self-contained HTML page. Nothing is written when the
// page cannot be rendered.
func WriteQAHTML(w io.Writer, qa *QA) error {
	if qa == nil {
		qa = &QA{}
	}
	var b bytes.Buffer
	if err := qaTmpl.Execute(&b, qa); err != nil {
		return fmt.Errorf("convert: rendering the QA report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// qaBi is a bilingual label: Vietnamese first, English in smaller text.
type qaBi struct{ VI, EN string }

// qaFlagView is how the page shows a flag: its badge's class and words.
type qaFlagView struct {
	Class string // bad, warn, info, plain
	qaBi
}

func qaFlagOf(f Flag) qaFlagView {
	switch f {
	case FlagLowDPI:
		return qaFlagView{"bad", qaBi{"Độ phân giải thấp", "Low resolution"}}
	case FlagNotColour:
		return qaFlagView{"bad", qaBi{"Không phải ảnh màu", "Not colour"}}
	case FlagBilevel:
		return qaFlagView{"warn", qaBi{"Đen trắng 1 bit", "Bilevel"}}
	case FlagBlank:
		return qaFlagView{"warn", qaBi{"Trang trắng?", "Looks blank"}}
	case FlagRotated:
		return qaFlagView{"warn", qaBi{"Trang xoay", "Rotated"}}
	case FlagPassthrough:
		return qaFlagView{"info", qaBi{"Giữ nguyên ảnh quét", "Passthrough"}}
	case FlagReencoded:
		return qaFlagView{"plain", qaBi{"Mã hóa lại", "Re-encoded losslessly"}}
	}
	return qaFlagView{"plain", qaBi{string(f), ""}}
}

var qaFuncs = template.FuncMap{
	"flag":  qaFlagOf,
	"flags": func() []Flag { return QAFlags },
	"thumb": func(png []byte) template.URL { // our own PNG bytes: safe as a data: URI
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	},
	"bytes": qaBytes,
	"dpi":   func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(time.FixedZone("UTC+7", 7*3600)).Format("15:04:05 02/01/2006") + " (UTC+7)"
	},
	"ordinal": func(n int) string { return fmt.Sprintf("%03d", n) },
	"base":    filepath.Base,
	"inc":     func(i int) int { return i + 1 },
	"fields":  qaFields,
	"severity": func(s string) qaFlagView {
		if s == "error" {
			return qaFlagView{"bad", qaBi{"Lỗi", "Error"}}
		}
		return qaFlagView{"warn", qaBi{"Cảnh báo", "Warning"}}
	},
	"problems": func(d QADocument) []Problem { return append(slices.Clip(d.Findings), d.Problems...) },
}

// qaField is a metadata field as the page shows it: its Vietnamese name, its field name, its
// value.
type qaField struct{ VI, EN, Value string }

// qaFieldNames are the Vietnamese names of the usual fields (Decree 30 Appendix VI).
var qaFieldNames = map[string]string{
	"TypeName": "Tên loại văn bản", "CodeNumber": "Số của văn bản", "CodeNotation": "Ký hiệu văn bản",
	"IssuedDate": "Ngày, tháng, năm văn bản", "OrganName": "Tên cơ quan, tổ chức ban hành", "Subject": "Trích yếu nội dung",
	"Language": "Ngôn ngữ", "Description": "Ghi chú", "Title": "Tiêu đề", "Keyword": "Từ khóa",
	"InforSign": "Ký hiệu thông tin", "Mode": "Chế độ sử dụng", "ConfidenceLevel": "Mức độ tin cậy",
	"Autograph": "Bút tích", "Format": "Tình trạng vật lý",
}

func qaFields(m map[string]string) []qaField {
	var fields []qaField
	for _, k := range qaFieldOrder(m) {
		if vi, ok := qaFieldNames[k]; ok {
			fields = append(fields, qaField{vi, k, m[k]})
		} else {
			fields = append(fields, qaField{k, "", m[k]})
		}
	}
	return fields
}

// qaFieldOrder orders a document's metadata fields: the profile's usual ones first, the
// others by name.
func qaFieldOrder(m map[string]string) []string {
	first := []string{"TypeName", "CodeNumber", "CodeNotation", "IssuedDate", "OrganName", "Subject"}
	var keys []string
	for _, k := range first {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(first, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}

// qaBytes writes a size with Vietnamese digit grouping (1.234.567 byte).
func qaBytes(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String() + " byte"
}
