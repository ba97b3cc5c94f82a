package pdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// deflatedZeros is n zero bytes, deflated: about a thousandth of n.
func deflatedZeros(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		w.Write(zeros[:k])
		n -= k
	}
	w.Close()
	return b.Bytes()
}

func streamObj(dict string, data []byte) string {
	return fmt.Sprintf("<<%s /Length %d>>\nstream\n%s\nendstream", dict, len(data), data)
}

// contentBomb is a one-page document whose content stream inflates to n bytes.
func contentBomb(t testing.TB, n int) []byte {
	return buildPDF(
		"<</Type/Catalog/Pages 2 0 R>>",
		"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
		streamObj("/Filter/FlateDecode", deflatedZeros(t, n)),
	)
}

// objectStreamBomb is a one-page document whose page lives in an object stream that inflates
// to n bytes, with a cross-reference stream.
func objectStreamBomb(t testing.TB, n int) []byte {
	page := "3 0 <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"
	var raw bytes.Buffer
	w, _ := zlib.NewWriterLevel(&raw, zlib.BestCompression)
	w.Write([]byte(page))
	zeros := make([]byte, 1<<20)
	for k := n; k > 0; k -= len(zeros) {
		w.Write(zeros[:min(k, len(zeros))])
	}
	w.Close()
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offs := map[int]int{}
	obj := func(nr int, body string) {
		offs[nr] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", nr, body)
	}
	obj(1, "<</Type/Catalog/Pages 2 0 R>>")
	obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
	obj(4, streamObj("/Type/ObjStm/N 1/First 4/Filter/FlateDecode", raw.Bytes()))
	offs[5] = b.Len()
	var x bytes.Buffer
	entry := func(kind byte, f2 uint32, f3 uint16) {
		x.WriteByte(kind)
		binary.Write(&x, binary.BigEndian, f2)
		binary.Write(&x, binary.BigEndian, f3)
	}
	entry(0, 0, 65535)
	entry(1, uint32(offs[1]), 0)
	entry(1, uint32(offs[2]), 0)
	entry(2, 4, 0)
	entry(1, uint32(offs[4]), 0)
	entry(1, uint32(offs[5]), 0)
	fmt.Fprintf(&b, "5 0 obj\n%s\nendobj\n", streamObj("/Type/XRef/Size 6/W[1 4 2]/Root 1 0 R", x.Bytes()))
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", offs[5])
	return b.Bytes()
}

// A decompression bomb is refused once its data outgrows any real content, without holding
// more than a few megabytes of it: content streams and object streams alike.
func TestDecompressionBombBounded(t *testing.T) {
	const inflated = 512 << 20 // twice what vbdt decodes at most, in half a megabyte
	for name, data := range map[string][]byte{
		"content stream": contentBomb(t, inflated),
		"object stream":  objectStreamBomb(t, inflated),
	} {
		t.Run(name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			d, err := Open(bytes.NewReader(data), int64(len(data)))
			if err == nil {
				_, err = d.Text(1)
			}
			runtime.ReadMemStats(&after)
			t.Log(err)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "bomb") {
				t.Errorf("%d bytes: got %v, want a decompression bomb refused", len(data), err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 48<<20 {
				t.Errorf("allocated %d MB reading a %d kB bomb", alloc>>20, len(data)>>10)
			}
		})
	}
}

// Streams that compress well but not absurdly still decode, through every filter vbdt reads.
func TestDecodeFilters(t *testing.T) {
	text := []byte("BT /F1 12 Tf 72 720 Td (Hello) Tj ET\n")
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(text)
	w.Close()
	hex := fmt.Appendf(nil, "%X>", z.Bytes())
	for name, obj := range map[string]string{
		"none":           streamObj("", text),
		"flate":          streamObj("/Filter/FlateDecode", z.Bytes()),
		"hex then flate": streamObj("/Filter[/ASCIIHexDecode/FlateDecode]", hex),
		"run length":     streamObj("/Filter/RunLengthDecode", append(append([]byte{byte(len(text) - 1)}, text...), 128)),
	} {
		data := buildPDF(
			"<</Type/Catalog/Pages 2 0 R>>",
			"<</Type/Pages/Kids[3 0 R]/Count 1>>",
			"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
			obj,
		)
		d, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pd, _, _, _ := d.page(1)
		got, err := d.streamData(pd["Contents"])
		if err != nil || !bytes.Equal(got, text) {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
}

// An absurd trailer /Size does not decide the numbers of new objects: they follow the largest
// object number in use, and qpdf accepts the result.
func TestIncrementIgnoresAbsurdSize(t *testing.T) {
	orig, err := os.ReadFile(samples(t)["xref-table"])
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/Size (\d+)`).FindSubmatch(orig)
	if m == nil {
		t.Fatal("no /Size in the sample")
	}
	size, _ := strconv.Atoi(string(m[1]))
	bad := bytes.Replace(orig, m[0], []byte("/Size 2147483647"), 1)
	d, err := Open(bytes.NewReader(bad), int64(len(bad)))
	if err != nil {
		t.Fatal(err)
	}
	inc := d.NewIncrement()
	r := inc.Add(TextString("x"))
	if r.Num != size {
		t.Errorf("new object %d, want %d (just above the largest in use)", r.Num, size)
	}
	if err := inc.AddFreeText(1, Rect{10, 10, 100, 40}, "note"); err != nil {
		t.Fatal(err)
	}
	w, err := inc.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.pdf")
	os.WriteFile(out, append(bad, w.Bytes...), 0o644)
	qpdfCheck(t, out)
}

// shiftOffsets moves every in-use cross-reference table entry by delta bytes.
func shiftOffsets(t *testing.T, data []byte, delta int64) []byte {
	t.Helper()
	n := 0
	out := regexp.MustCompile(`(?m)^(\d{10}) (\d{5}) n`).ReplaceAllFunc(data, func(e []byte) []byte {
		off, _ := strconv.ParseInt(string(e[:10]), 10, 64)
		n++
		return fmt.Appendf(nil, "%010d%s", off+delta, e[10:])
	})
	if n == 0 {
		t.Fatal("no entries changed")
	}
	return out
}

// A cross-reference table whose offsets are all shifted a few bytes is repaired by finding
// each object's "N G obj" header near where the table points; the repaired document reads and
// takes an increment that qpdf accepts.
func TestOpenRepairsShiftedOffsets(t *testing.T) {
	orig, err := os.ReadFile(samples(t)["xref-table"])
	if err != nil {
		t.Fatal(err)
	}
	face := func() []byte { return orig }
	for name, data := range map[string][]byte{
		"entries +7":                        shiftOffsets(t, face(), 7),
		"entries -7":                        shiftOffsets(t, face(), -7),
		"7 bytes inserted after the header": append(append(bytes.Clone(orig[:9]), "%junk\r\n"...), orig[9:]...),
	} {
		t.Run(name, func(t *testing.T) {
			d, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("not repaired: %v", err)
			}
			if d.PageCount() != 1 {
				t.Errorf("pages %d", d.PageCount())
			}
			if _, ok, err := d.FindText(1, "CHỦ TỊCH"); !ok || err != nil {
				t.Errorf("text not found after repair: %v", err)
			}
		})
	}
}

// Damage is described in PDF terms: no Go type names, no names of pdfcpu's functions.
func TestDamageMessagesSpeakPDF(t *testing.T) {
	catalog, pages := "<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[3 0 R]/Count 1>>"
	internal := regexp.MustCompile(`types\.|model\.|parse[A-Z]|can't find|%!|\bnil\b|<nil>|panic`)
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"page is a reference to nothing": {buildPDF(catalog, "<</Type/Pages/Kids[9 0 R]/Count 1>>"), "page 1"},
		"catalog is a reference":         {buildPDF("2 0 R", pages, "<</Type/Page/Parent 2 0 R>>"), "a reference to a reference where a dictionary belongs"},
		"page is a number":               {buildPDF(catalog, pages, "42"), "a number where a dictionary belongs"},
		"page tree is a name":            {buildPDF("<</Type/Catalog/Pages 2 0 R>>", "/Pages"), "a name where a dictionary belongs"},
		"broken object syntax":           {buildPDF(catalog, pages, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842>>"), "object 3"},
		"no header where the xref points": {bytes.Replace(buildPDF(catalog, pages, "<</Type/Page/Parent 2 0 R>>"),
			[]byte("3 0 obj"), []byte("% 0 obj"), 1), `no "3 0 obj"`},
		"content is not a stream": {buildPDF(catalog, pages, "<</Type/Page/Parent 2 0 R/Contents 4 0 R>>", "(text)"), "a string where a stream belongs"},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := Open(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil {
				_, err = d.Text(1)
			}
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want ErrDamaged saying %q", err, tc.want)
			}
			if internal.MatchString(err.Error()) || strings.Count(err.Error(), ErrDamaged.Error()) != 1 {
				t.Errorf("%q speaks of the parser's internals or repeats itself", err)
			}
		})
	}
	empty := buildPDF(catalog, "<</Type/Pages/Kids[]/Count 0>>")
	d, err := Open(bytes.NewReader(empty), int64(len(empty)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.PageBox(1); err == nil || err.Error() != "the document has no pages" {
		t.Errorf("no pages: got %v", err)
	}
}

// mayRefer, the prefilter of the dangling-reference check, must find every reference syntax
// may write: a miss would let a reference filled in after signing pass unseen.
func TestMayRefer(t *testing.T) {
	want := map[int]bool{12: true, 7: true}
	for raw, ok := range map[string]bool{
		"<< /A 12 0 R >>":          true,
		"<</A 12\n0\rR>>":          true,
		"[1 0 R 7 0 R]":            true,
		"[112 0 R]":                false,
		"<< /W [12 0] /R 3 >>":     false,
		"<< /Contents <12 0 R> >>": true, // a superset: parsed, then judged
		"12 0 obj":                 false,
		"<< /A 12 5 R >>":          true,
		"R":                        false,
		"":                         false,
	} {
		if got := mayRefer([]byte(raw), want); got != ok {
			t.Errorf("mayRefer(%q) = %v, want %v", raw, got, ok)
		}
	}
}
