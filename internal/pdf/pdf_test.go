package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// samples returns the same one-page document with a cross-reference table and, rewritten by
// qpdf, with a cross-reference stream.
func samples(t testing.TB) map[string]string {
	t.Helper()
	testenv.NeedTools(t, "qpdf")
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(t, err.Error())
	}
	data, err := Sample(1, face.Regular, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	table := filepath.Join(dir, "table.pdf")
	os.WriteFile(table, data, 0o644)
	stream := filepath.Join(dir, "stream.pdf")
	if out, err := exec.Command("qpdf", "--object-streams=generate", table, stream).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v %s", err, out)
	}
	return map[string]string{"xref-table": table, "xref-stream": stream}
}

func qpdfCheck(t testing.TB, path string) {
	t.Helper()
	if out, err := exec.Command("qpdf", "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check %s: %v\n%s", path, err, out)
	}
}

func TestIncrementKeepsOriginalAndFlavour(t *testing.T) {
	for flavour, path := range samples(t) {
		t.Run(flavour, func(t *testing.T) {
			orig, _ := os.ReadFile(path)
			d, err := Open(bytes.NewReader(orig), int64(len(orig)))
			if err != nil {
				t.Fatal(err)
			}
			if d.XRefStream() != (flavour == "xref-stream") {
				t.Fatalf("xref stream = %v", d.XRefStream())
			}
			inc := d.NewIncrement()
			note := inc.Add(types.Dict{"Note": TextString("Văn bản điện tử")})
			cat, root, _ := d.catalog()
			_ = cat
			c, err := inc.modifyDict(root)
			if err != nil {
				t.Fatal(err)
			}
			c.Update("Lang", types.StringLiteral("vi-VN"))
			c.Update("VbdtNote", note.ref())
			w, err := inc.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out.pdf")
			os.WriteFile(out, append(bytes.Clone(orig), w.Bytes...), 0o644)
			qpdfCheck(t, out)
			got, _ := os.ReadFile(out)
			if !bytes.HasPrefix(got, orig) {
				t.Fatal("the original bytes are not a prefix of the output")
			}
			if strings.Contains(string(w.Bytes), "\nxref\n") == d.XRefStream() {
				t.Errorf("the increment's xref flavour differs from the original's")
			}
			d2, err := OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			c2, _, _ := d2.catalog()
			if c2.StringEntry("Lang") == nil || *c2.StringEntry("Lang") != "vi-VN" {
				t.Errorf("catalog after update: %v", c2)
			}
			if d2.PageCount() != 1 {
				t.Errorf("pages %d", d2.PageCount())
			}
			// the original catalog object was not changed in memory either
			if _, found := cat.Find("Lang"); found {
				t.Error("the document's own catalog was modified")
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	for name, data := range map[string]string{
		"not a pdf": "hello world",
		"truncated": "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
		"empty":     "",
	} {
		_, err := Open(bytes.NewReader([]byte(data)), int64(len(data)))
		if !errors.Is(err, ErrNotPDF) && !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTextString(t *testing.T) {
	if got := TextString("a(b)").PDFString(); got != `(a\(b\))` {
		t.Errorf("ascii: %s", got)
	}
	if got := TextString("Ấn").PDFString(); got != "<FEFF1EA4006E>" {
		t.Errorf("unicode: %s", got)
	}
}

// FuzzOpen: any bytes give a document or an error, never a crash or a hang.
func FuzzOpen(f *testing.F) {
	face, err := fonts.Find("")
	if err == nil {
		if data, err := Sample(1, face.Regular, 1); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\nstartxref\n9\n%%EOF"))
	// decompression bombs: 48 MB of zeros in a page's content and in an object stream
	f.Add(contentBomb(f, 48<<20))
	f.Add(objectStreamBomb(f, 48<<20))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d, err := Open(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			d.Fields()
			d.Signatures()
			d.Text(1)
		}
		// 64 KiB of input may not cost more than the decode bound (256 MiB) and change
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 320<<20 {
			t.Fatalf("%d bytes of PDF made %d MB of allocations", len(data), alloc>>20)
		}
	})
}

func TestFindText(t *testing.T) {
	for flavour, path := range samples(t) {
		d, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		const mm = 72 / 25.4
		top := 841.89
		for _, tc := range []struct {
			text string
			x, y float64 // where Sample draws it: left edge and baseline
		}{
			{"Nguyễn Văn Ấn", 125 * mm, top - 270*mm},
			{"Số: …/QĐ-UBND", 25 * mm, top - 42*mm},
			{"CHỦ TỊCH", 130 * mm, top - 236*mm},
			{"ngày … tháng", 105*mm + 0, top - 42*mm},
		} {
			box, ok, err := d.FindText(1, tc.text)
			if err != nil || !ok {
				t.Fatalf("%s: %q not found (%v)", flavour, tc.text, err)
			}
			baseline := box.Y1 + 0.22*box.Height()
			if math.Abs(baseline-tc.y) > 1.5 || (tc.text != "ngày … tháng" && math.Abs(box.X1-tc.x) > 1.5) {
				t.Errorf("%s: %q at %+v, want x %.1f baseline %.1f", flavour, tc.text, box, tc.x, tc.y)
			}
			if box.Width() <= 0 || box.Height() < 8 || box.Height() > 20 {
				t.Errorf("%q: box %+v", tc.text, box)
			}
		}
		if _, ok, _ := d.FindText(1, "không có trên trang"); ok {
			t.Error("found text that is not there")
		}
	}
}

func FuzzContentText(f *testing.F) {
	f.Add([]byte("BT /F1 12 Tf 1 0 0 1 10 20 Tm <00410042> Tj [(a) -120 (b)] TJ ET q 2 0 0 2 0 0 cm Q"))
	f.Add([]byte("BI /W 1 /H 1 ID \x00\xff EI (unbalanced"))
	f.Add([]byte("beginbfrange <FFFFFFF0> <FFFFFFFF> <0041> endbfrange"))
	f.Fuzz(func(t *testing.T, content []byte) {
		runText(content, map[string]*textFont{"F1": {twoByte: true, toUni: map[uint32]string{0x41: "A"}, widths: map[uint32]float64{}, dw: 500}})
		parseToUnicode(content, map[uint32]string{})
	})
}

func TestSubsetTTF(t *testing.T) {
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(t, err.Error())
	}
	full, err := LoadFont(face.Regular)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[uint16]bool{}
	gs, _ := full.glyphs("Số: 15/QĐ")
	for _, g := range gs {
		keep[uint16(g)] = true
	}
	data, err := subsetTTF(full.ttf, keep)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > len(full.ttf)/3 {
		t.Errorf("subset is %d bytes of %d", len(data), len(full.ttf))
	}
	sub, err := parseFont("subset", data)
	if err != nil {
		t.Fatal(err)
	}
	if sub.f.NumGlyphs() != full.f.NumGlyphs() {
		t.Fatalf("glyph count changed: %d → %d", full.f.NumGlyphs(), sub.f.NumGlyphs())
	}
	for i, g := range gs {
		if sub.advance(g) != full.advance(g) {
			t.Errorf("glyph %d changed width", g)
		}
		if []rune("Số: 15/QĐ")[i] == ' ' {
			continue // a space has no outline
		}
		segs, err := sub.f.LoadGlyph(&sub.buf, g, 1000<<6, nil)
		if err != nil || len(segs) == 0 {
			t.Errorf("kept glyph %d has no outline: %v", g, err)
		}
	}
	unused, _ := full.glyphs("Ж") // Cyrillic: not kept
	if segs, err := sub.f.LoadGlyph(&sub.buf, unused[0], 1000<<6, nil); err == nil && len(segs) > 0 {
		t.Errorf("an unused glyph kept its outline")
	}
}

// buildPDF writes a PDF of the given object bodies (object i+1 is bodies[i], object 1 the
// catalog) with a classic cross-reference table.
func buildPDF(bodies ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offsets := make([]int, len(bodies))
	for i, body := range bodies {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(bodies)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(bodies)+1, xref)
	return b.Bytes()
}

// A signature's FieldMDP comes from its /Reference, else from its field's /Lock; Include,
// Exclude and All cover fields by name prefix, as pyHanko matches them.
func TestSignatureFieldLocks(t *testing.T) {
	data := buildPDF(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R 6 0 R] >> >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /FT /Sig /T (s1) /V 5 0 R /Lock << /Type /SigFieldLock /Action /All >> >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
		"<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00> /Reference [<< /Type /SigRef /TransformMethod /FieldMDP /TransformParams << /Type /TransformParams /Action /Exclude /Fields [(ngay)] >> >>] >>",
		"<< /FT /Sig /T (s2) /V 7 0 R /Lock << /Type /SigFieldLock /Action /Include /Fields [(so)] >> >>",
		"<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00> >>",
	)
	doc, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := doc.Signatures()
	if err != nil || len(sigs) != 2 {
		t.Fatalf("%+v %v", sigs, err)
	}
	for _, tc := range []struct {
		sig    int
		field  string
		locked bool
	}{{0, "so", true}, {0, "ngay", false}, {1, "so", true}, {1, "so2", true}, {1, "ngay", false}} {
		if got := sigs[tc.sig].Lock.Locks(tc.field); got != tc.locked {
			t.Errorf("signature %s, field %s: locked %v, want %v (lock %+v)", sigs[tc.sig].Field, tc.field, got, tc.locked, sigs[tc.sig].Lock)
		}
	}
	if (&FieldLock{Action: "All"}).Locks("x") != true || (*FieldLock)(nil).Locks("x") {
		t.Error("All locks everything; no lock locks nothing")
	}
}

// FuzzChanges: the comparison of two revisions of any bytes gives changes or an error, never
// a crash. Seeds: a document with an increment appended (a field added), cut at the increment.
func FuzzChanges(f *testing.F) {
	base := buildPDF(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Fields [] >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots 5 0 R >>",
		"[]",
	)
	if doc, err := Open(bytes.NewReader(base), int64(len(base))); err == nil {
		inc := doc.NewIncrement()
		if err := inc.AddUnsignedSignature(SignatureField{Name: "s", Page: 1, Rect: Rect{X1: 10, Y1: 10, X2: 50, Y2: 30}}); err == nil {
			if w, err := inc.Bytes(); err == nil {
				f.Add(append(bytes.Clone(base), w.Bytes...), uint32(len(base)))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint32) {
		if len(data) > 64<<10 || len(data) == 0 {
			return
		}
		Changes(bytes.NewReader(data), int64(len(data)), int64(cut)%int64(len(data))+1)
	})
}

// Changes names what indirect arrays are and what they gained: a page's /Annots and the form's
// /Fields; a freed object is reported deleted.
func TestChangesDescribesGains(t *testing.T) {
	base := buildPDF(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Fields 6 0 R >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots 5 0 R >>",
		"[]",
		"[]",
		"<< /Producer (TEST) >>",
	)
	doc, err := Open(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	inc := doc.NewIncrement()
	if err := inc.AddUnsignedSignature(SignatureField{Name: "s", Page: 1, Rect: Rect{X1: 10, Y1: 10, X2: 50, Y2: 30}}); err != nil {
		t.Fatal(err)
	}
	w, err := inc.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// then free object 7 in a further section
	data := append(bytes.Clone(base), w.Bytes...)
	prev := bytes.LastIndex(data, []byte("startxref"))
	sx := string(bytes.Fields(data[prev+len("startxref"):])[0])
	at := len(data)
	data = fmt.Appendf(data, "xref\n7 1\n0000000000 00001 f\r\ntrailer\n<< /Size 12 /Root 1 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n", sx, at)
	changes, err := Changes(bytes.NewReader(data), int64(len(data)), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Change{}
	for _, c := range changes {
		switch {
		case c.Deleted:
			got["deleted"] = c
		case c.Of != "":
			got[c.Of] = c
		}
	}
	if c := got["Annots"]; len(c.NewAnnots) != 1 || c.NewAnnots[0].FT != "Sig" || !c.NewAnnots[0].Visible {
		t.Errorf("annotations: %+v", c)
	}
	if c := got["Fields"]; len(c.NewFields) != 1 || c.NewFields[0].FT != "Sig" {
		t.Errorf("fields: %+v", c)
	}
	if c := got["deleted"]; c.Obj != 7 {
		t.Errorf("deleted: %+v in %+v", c, changes)
	}
}

// A TJ array with a gap of many ems shows two texts, not one (Ghostscript writes "Số: …" and
// the date line of a decision as one array across the page): each is a run of its own, where
// it is shown.
func TestTJGapSplitsRuns(t *testing.T) {
	toUni := map[uint32]string{}
	for c := uint32(0x20); c < 0x7f; c++ {
		toUni[c] = string(rune(c))
	}
	font := &textFont{toUni: toUni, widths: map[uint32]float64{}, dw: 500}
	runs := runText([]byte("BT /F1 10 Tf 1 0 0 1 70 720 Tm [(So: .../QD) -9971.84 (Ha Noi, ngay ... thang) -120 (x)] TJ ET"), map[string]*textFont{"F1": font})
	if len(runs) != 2 || runs[0].Text != "So: .../QD" || runs[1].Text != "Ha Noi, ngay ... thangx" {
		t.Fatalf("runs %+v", runs)
	}
	if gap := runs[1].Box.X1 - runs[0].Box.X2; gap < 90 || runs[0].Box.X1 != 70 {
		t.Fatalf("the second run is not where it is shown: %+v", runs)
	}
}

// An embedded subset font's CIDSet has a bit for every glyph id of its program (the subset
// keeps them all, emptied or not): PDF/A-1 requires the CIDSet, and veraPDF's PDF/A-2 rule
// wants every CID of the program listed.
func TestCIDSetCoversTheFontProgram(t *testing.T) {
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(t, err.Error())
	}
	font, err := LoadFont(face.Regular)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Sample(1, face.Regular, 1)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	inc := doc.NewIncrement()
	font.embed(inc, []string{"Số: 15/QĐ-UBND"})
	found := false
	for _, body := range inc.bodies {
		if !bytes.Contains(body, []byte("/FontDescriptor")) || !bytes.Contains(body, []byte("/CIDSet")) {
			continue
		}
		found = true
		var n int
		fmt.Sscanf(string(body[bytes.Index(body, []byte("/CIDSet"))+len("/CIDSet"):]), " %d", &n)
		stream := inc.bodies[n]
		raw, err := zlibInflate(stream[bytes.Index(stream, []byte("stream\n"))+len("stream\n") : bytes.LastIndex(stream, []byte("\nendstream"))])
		if err != nil {
			t.Fatal(err)
		}
		glyphs := font.f.NumGlyphs()
		if len(raw) != (glyphs+7)/8 {
			t.Fatalf("CIDSet of %d bytes for %d glyphs", len(raw), glyphs)
		}
		for g := range glyphs {
			if raw[g/8]&(0x80>>(g%8)) == 0 {
				t.Fatalf("CID %d of %d is not in the CIDSet", g, glyphs)
			}
		}
	}
	if !found {
		t.Fatal("no font descriptor with a CIDSet")
	}
}

func zlibInflate(b []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
