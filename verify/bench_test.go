package verify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"github.com/vbdt/vbdt/sign"
	"github.com/vbdt/vbdt/verify"
)

// benchDocs are the signed documents the verification benchmarks read, made once per process:
// the test PKI (RSA-2048, the algorithm of the Vietnamese CAs' certificates), a one-page
// decision signed once by the organization, and the same decision through the Decree 30 flow —
// the approver's certification (DocMDP P=2), the clerk's number and date, the organization's
// seal in the field the approver prepared — 4 revisions, 2 signatures.
type benchDocs struct {
	dir, pki        string
	draft           string // unsigned, xref table
	single, decree  string
	anchors         []*x509.Certificate
	approver, org   *keys.Key
	sigImg, sealImg *pdf.Image
	font            *pdf.Font
}

func makeBenchDocs(b *testing.B) *benchDocs {
	b.Helper()
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(b, err.Error())
	}
	d := &benchDocs{dir: b.TempDir()}
	d.pki = filepath.Join(d.dir, "pki")
	sets := testenv.PKI(b, d.pki)
	d.anchors = []*x509.Certificate{sets[testpki.RSA].Get(testpki.Root).Cert}
	data, err := pdf.Sample(1, face.Regular, 3)
	if err != nil {
		b.Fatal(err)
	}
	d.draft = filepath.Join(d.dir, "draft.pdf")
	if err := os.WriteFile(d.draft, data, 0o644); err != nil {
		b.Fatal(err)
	}
	if d.font, err = pdf.LoadFont(face.Regular); err != nil {
		b.Fatal(err)
	}
	sigPNG, sealPNG, err := testpki.WriteImages(d.dir)
	if err != nil {
		b.Fatal(err)
	}
	if d.sigImg, err = pdf.LoadPNG(sigPNG); err != nil {
		b.Fatal(err)
	}
	if d.sealImg, err = pdf.LoadPNG(sealPNG); err != nil {
		b.Fatal(err)
	}
	open := func(r testpki.Role) *keys.Key {
		k, err := keys.Open("file:"+testpki.FilesFor(d.pki, r, testpki.RSA).P12, keys.Options{Getenv: func(k string) string {
			if k == "VBDT_PIN" {
				return testpki.Password
			}
			return ""
		}})
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	d.approver, d.org = open(testpki.Approver), open(testpki.Organization)

	d.single = filepath.Join(d.dir, "single.pdf")
	d.sign(b, d.draft, d.single, d.org, sign.Appearance{Role: nd30.Plain})
	approved, numbered := filepath.Join(d.dir, "approved.pdf"), filepath.Join(d.dir, "numbered.pdf")
	d.decree = filepath.Join(d.dir, "issued.pdf")
	d.sign(b, d.draft, approved, d.approver, sign.Appearance{Role: nd30.Approver, Image: d.sigImg, Seal: d.sealImg, Font: d.font})
	if _, err := sign.Stamp(sign.StampRequest{In: approved, Out: numbered, NumberLine: "Số: 15/QĐ-UBND",
		DateLine: "Hà Nội, ngày 05 tháng 01 năm 2026"}); err != nil {
		b.Fatal(err)
	}
	d.sign(b, numbered, d.decree, d.org, sign.Appearance{Role: nd30.Issuer, Seal: d.sealImg})
	return d
}

// sign applies a role's appearance to in and signs it into out.
func (d *benchDocs) sign(b *testing.B, in, out string, key *keys.Key, a sign.Appearance) {
	b.Helper()
	doc, err := pdf.OpenFile(in)
	if err != nil {
		b.Fatal(err)
	}
	defer doc.Close()
	r := sign.Request{Signer: key, Chain: key.Chain, Time: time.Now()}
	if err := a.Apply(doc, &r); err != nil {
		b.Fatal(err)
	}
	if _, err := sign.SignFile(context.Background(), in, out, r); err != nil {
		b.Fatal(err)
	}
}

// mustPass verifies path as vbdt verify --offline --trust ROOT does and fails b unless the
// document and its sigs signatures all pass.
func mustPass(b *testing.B, path string, anchors []*x509.Certificate, sigs int) {
	rep, err := verify.File(context.Background(), path, verify.Options{Offline: true, Anchors: anchors})
	if err != nil {
		b.Fatal(err)
	}
	if rep.Indication != verify.TotalPassed || len(rep.Signatures) != sigs {
		b.Fatalf("%s: %s %s %s, %d signatures, want TOTAL_PASSED with %d", path, rep.Indication, rep.SubIndication, rep.Reason, len(rep.Signatures), sigs)
	}
}

// BenchmarkVerify verifies signed documents as `vbdt verify --offline --trust ROOT` does —
// integrity, the path to the trusted test root, revocation (offline: what the document
// carries) and the whitelist analysis of every change after each signature — and reports
// docs/s. one-signature and decree30 (4 revisions, approver's certification P=2, number stamp,
// organization's seal) are one document at a time on one goroutine: the cost of a document.
// mix is a set of 5 documents, 4 one-signature and 1 Decree 30 (the mix bench/verify.sh
// verifies), on as many goroutines as GOMAXPROCS, as a batch runs.
func BenchmarkVerify(b *testing.B) {
	d := makeBenchDocs(b)
	opts := verify.Options{Offline: true, Anchors: d.anchors}
	for _, c := range []struct {
		name string
		path string
		sigs int
	}{{"one-signature", d.single, 1}, {"decree30", d.decree, 2}} {
		b.Run(c.name, func(b *testing.B) {
			mustPass(b, c.path, d.anchors, c.sigs)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				rep, err := verify.File(context.Background(), c.path, opts)
				if err != nil || rep.Indication != verify.TotalPassed {
					b.Fatalf("%v %v", rep, err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
		})
	}
	b.Run("mix", func(b *testing.B) {
		set := []string{d.single, d.single, d.single, d.single, d.decree}
		b.ReportAllocs()
		b.ResetTimer()
		var next atomic.Int64
		var failed atomic.Value
		start := time.Now()
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(b.N*len(set)) {
						return
					}
					rep, err := verify.File(context.Background(), set[i%int64(len(set))], opts)
					if err == nil && rep.Indication != verify.TotalPassed {
						err = fmt.Errorf("%s: %s %s", rep.File, rep.Indication, rep.Reason)
					}
					if err != nil {
						failed.Store(err)
					}
				}
			}()
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N*len(set))/time.Since(start).Seconds(), "docs/s")
	})
}

// BenchmarkVerifyLarge verifies a signed ~200 MB PDF shaped like a scanned register (the draft
// plus 200 pages, each a 1 MB 1024×1024 grey image, appended as an increment, then signed by
// the organization), as bench/sign.sh builds it, and reports MB/s. Writing the file takes
// seconds and 200 MB of disk, so it runs only with VBDT_BENCH_LARGE=1; bench/verify.sh measures
// the vbdt binary's peak RSS on the same kind of file.
func BenchmarkVerifyLarge(b *testing.B) {
	if os.Getenv("VBDT_BENCH_LARGE") == "" {
		b.Skip("set VBDT_BENCH_LARGE=1 to verify a 200 MB PDF")
	}
	d := makeBenchDocs(b)
	big, signed := filepath.Join(d.dir, "big.pdf"), filepath.Join(d.dir, "big-signed.pdf")
	if err := writeImagePages(d.draft, big, 200); err != nil {
		b.Fatal(err)
	}
	d.sign(b, big, signed, d.org, sign.Appearance{Role: nd30.Plain})
	os.Remove(big)
	fi, err := os.Stat(signed)
	if err != nil {
		b.Fatal(err)
	}
	mustPass(b, signed, d.anchors, 1)
	opts := verify.Options{Offline: true, Anchors: d.anchors}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rep, err := verify.File(context.Background(), signed, opts)
		if err != nil || rep.Indication != verify.TotalPassed {
			b.Fatalf("%v %v", rep, err)
		}
	}
}

// writeImagePages writes base plus an increment of n pages, each a 1 MB 1024×1024 grey image
// of random-looking bytes, appended to the page tree (base must have an xref table and its
// page tree root as an uncompressed object, as pdf.Sample's documents do).
func writeImagePages(base, out string, n int) error {
	doc, err := os.ReadFile(base)
	if err != nil {
		return err
	}
	i := bytes.LastIndex(doc, []byte("startxref"))
	if i < 0 {
		return fmt.Errorf("%s: no startxref", base)
	}
	prev, err := strconv.Atoi(string(bytes.Fields(doc[i+len("startxref"):])[0]))
	if err != nil {
		return err
	}
	roots := regexp.MustCompile(`/Root (\d+) 0 R`).FindAllSubmatch(doc, -1)
	if len(roots) == 0 {
		return fmt.Errorf("%s: no /Root", base)
	}
	root := roots[len(roots)-1][1]
	m := regexp.MustCompile(`(?s)\n` + string(root) + ` 0 obj\s*<<.*?/Pages (\d+) 0 R`).FindSubmatch(doc)
	if m == nil {
		return fmt.Errorf("%s: no /Pages in the catalog", base)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	k := regexp.MustCompile(`(?s)\n` + string(m[1]) + ` 0 obj\s*<<.*?/Kids\s*\[([^\]]*)\]`).FindSubmatch(doc)
	if k == nil {
		return fmt.Errorf("%s: no /Kids", base)
	}
	kids := bytes.TrimSpace(k[1])

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	var w bytes.Buffer
	pos := int64(len(doc))
	if _, err := f.Write(doc); err != nil {
		return err
	}
	offs := map[int]int64{}
	var order []int
	obj := func(num int, head string, stream []byte) error {
		w.Reset()
		offs[num] = pos
		order = append(order, num)
		fmt.Fprintf(&w, "%d 0 obj\n%s\n", num, head)
		if stream != nil {
			w.WriteString("stream\n")
			w.Write(stream)
			w.WriteString("\nendstream\n")
		}
		w.WriteString("endobj\n")
		nw, err := f.Write(w.Bytes())
		pos += int64(nw)
		return err
	}
	chunk := make([]byte, 1<<20)
	x := uint64(0x9E3779B97F4A7C15) // xorshift: incompressible bytes, as a scan's
	for i := range chunk {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		chunk[i] = byte(x)
	}
	const first = 1000
	var newKids bytes.Buffer
	draw := "q 595 0 0 842 0 0 cm /Im0 Do Q"
	for i := range n {
		img, content, page := first+3*i, first+3*i+1, first+3*i+2
		if err := obj(img, fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width 1024 /Height 1024 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>", len(chunk)), chunk); err != nil {
			return err
		}
		if err := obj(content, fmt.Sprintf("<< /Length %d >>", len(draw)), []byte(draw)); err != nil {
			return err
		}
		if err := obj(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>", pages, img, content), nil); err != nil {
			return err
		}
		fmt.Fprintf(&newKids, " %d 0 R", page)
	}
	if err := obj(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s%s] /Count %d >>", kids, newKids.String(), n+1), nil); err != nil {
		return err
	}
	xrefAt := pos
	w.Reset()
	slices.Sort(order)
	w.WriteString("xref\n")
	for _, num := range order {
		fmt.Fprintf(&w, "%d 1\n%010d 00000 n\r\n", num, offs[num])
	}
	fmt.Fprintf(&w, "trailer\n<< /Size %d /Root %s 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", first+3*n, root, prev, xrefAt)
	if _, err := f.Write(w.Bytes()); err != nil {
		return err
	}
	return f.Close()
}
