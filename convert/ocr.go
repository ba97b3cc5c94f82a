package convert

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/pdf"
)

// OCR says how a document's text layer was made.
type OCR struct {
	Lang  string `json:"lang"`
	Words int    `json:"words"`
}

// OCROptions say how to recognize text.
type OCROptions struct {
	Lang string    // Tesseract languages, "vie" by default
	Font *pdf.Font // the layer's font (its glyphs must cover the language)
	// Tesseract is the tesseract program (default: "tesseract" on PATH).
	Tesseract string
}

// Documents lists the converted documents in dir: every PDF with a sidecar, in name order.
func Documents(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if _, err := os.Stat(SidecarPath(f)); err == nil {
			out = append(out, f)
		}
	}
	return out, nil
}

// AddOCR recognizes the text of the converted document at path with Tesseract and adds it as
// an invisible text layer, in an incremental update that leaves the image streams and every
// byte before it as they were; the sidecar records it. A document that has its layer is left
// alone (done is false).
func AddOCR(ctx context.Context, path string, o OCROptions) (r *Result, done bool, err error) {
	r, err = ReadSidecar(path)
	if err != nil {
		return nil, false, err
	}
	if r.OCR != nil {
		return r, false, nil
	}
	if len(r.Signatures) > 0 {
		return nil, false, fmt.Errorf("it is signed (%s): a text layer added now would break the signature; recognize text before signing", r.Signatures[0].Field)
	}
	if o.Lang == "" {
		o.Lang = "vie"
	}
	pages, err := ocrPages(ctx, r, o)
	if err != nil {
		return nil, false, err
	}
	words := 0
	for _, ws := range pages {
		words += len(ws)
	}
	if words == 0 { // nothing to add: the document stays as it is
		r.OCR = &OCR{Lang: o.Lang}
		return r, true, writeSidecar(path, r)
	}
	doc, err := pdf.OpenFile(path)
	if err != nil {
		return nil, false, err
	}
	if sigs, err := doc.Signatures(); err != nil || len(sigs) > 0 {
		doc.Close()
		if err == nil {
			err = fmt.Errorf("it is signed (%s): a text layer added now would break the signature; recognize text before signing", sigs[0].Field)
		}
		return nil, false, err
	}
	inc := doc.NewIncrement()
	for i, ws := range pages {
		if err := inc.AddTextLayer(i+1, ws, o.Font); err != nil {
			doc.Close()
			return nil, false, fmt.Errorf("page %d: %w", i+1, err)
		}
	}
	w, err := inc.Bytes()
	if err != nil {
		doc.Close()
		return nil, false, err
	}
	h := sha256.New()
	var size int64
	err = fsutil.Replace(path, 0o644, func(f *os.File) error {
		orig, err := doc.Original()
		if err != nil {
			return err
		}
		out := io.MultiWriter(f, h)
		n, err := io.Copy(out, orig)
		if err != nil {
			return err
		}
		m, err := out.Write(w.Bytes)
		size = n + int64(m)
		return err
	})
	doc.Close()
	if err != nil {
		return nil, false, err
	}
	r.Bytes, r.SHA256, r.OCR = size, hex.EncodeToString(h.Sum(nil)), &OCR{Lang: o.Lang, Words: words}
	return r, true, writeSidecar(path, r)
}

// ocrPages runs Tesseract on each source file once and returns each page's words in PDF units.
func ocrPages(ctx context.Context, r *Result, o OCROptions) ([][]pdf.Word, error) {
	tess := o.Tesseract
	if tess == "" {
		tess = "tesseract"
	}
	var out [][]pdf.Word
	for _, src := range r.Document.Sources {
		scanned, err := pagesOf(src.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.Path, err)
		}
		cmd := exec.CommandContext(ctx, tess, src.Path, "stdout", "-l", o.Lang, "tsv")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		tsv, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("tesseract %s: %v: %s", src.Path, err, strings.TrimSpace(stderr.String()))
		}
		words := parseTSV(tsv)
		want, err := src.selected(len(scanned))
		if err != nil {
			return nil, err
		}
		for _, n := range want {
			p := scanned[n-1]
			i := len(out)
			xdpi, ydpi := p.XDPI, p.YDPI
			if (xdpi == 0 || ydpi == 0) && i < len(r.Embedded) {
				xdpi, ydpi = r.Embedded[i].DPI, r.Embedded[i].DPI
			}
			if xdpi <= 0 || ydpi <= 0 {
				return nil, fmt.Errorf("%s: page %d has no resolution", src.Path, n)
			}
			height := float64(p.Height) * 72 / ydpi
			var ws []pdf.Word
			for _, w := range words[n] {
				x, y := float64(w.left)*72/xdpi, height-float64(w.top)*72/ydpi
				ws = append(ws, pdf.Word{Text: w.text, Rect: pdf.Rect{X1: x, Y1: y - float64(w.height)*72/ydpi,
					X2: x + float64(w.width)*72/xdpi, Y2: y}})
			}
			out = append(out, ws)
		}
	}
	return out, nil
}

type tsvWord struct {
	left, top, width, height int
	text                     string
}

// parseTSV reads Tesseract's TSV output: the words (level 5) of each page (1-based).
func parseTSV(tsv []byte) map[int][]tsvWord {
	out := map[int][]tsvWord{}
	sc := bufio.NewScanner(bytes.NewReader(tsv))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		n := make([]int, 10)
		ok := true
		for i := range n {
			v, err := strconv.Atoi(f[i])
			n[i], ok = v, ok && err == nil
		}
		text := strings.TrimSpace(f[11])
		if !ok || text == "" || n[8] <= 0 || n[9] <= 0 {
			continue
		}
		out[n[1]] = append(out[n[1]], tsvWord{left: n[6], top: n[7], width: n[8], height: n[9], text: text})
	}
	return out
}
