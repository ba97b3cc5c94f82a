package sign

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"github.com/vbdt/vbdt/verify"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

type fixture struct {
	dir    string
	pki    string
	doc    string // a one-page decision, xref table
	font   *pdf.Font
	approv *keys.Key
	org    *keys.Key
}

func setup(t *testing.T, alg testpki.Alg) *fixture {
	t.Helper()
	testenv.NeedTools(t, "pdfsig", "qpdf")
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(t, err.Error())
	}
	fx := &fixture{dir: t.TempDir()}
	fx.pki = filepath.Join(fx.dir, "pki")
	testenv.PKI(t, fx.pki)
	data, err := pdf.Sample(1, face.Regular, 2)
	if err != nil {
		t.Fatal(err)
	}
	fx.doc = filepath.Join(fx.dir, "qd.pdf")
	os.WriteFile(fx.doc, data, 0o644)
	if fx.font, err = pdf.LoadFont(face.Regular); err != nil {
		t.Fatal(err)
	}
	open := func(r testpki.Role) *keys.Key { return mustKey(t, "file:"+testpki.FilesFor(fx.pki, r, alg).P12) }
	fx.approv, fx.org = open(testpki.Approver), open(testpki.Organization)
	return fx
}

func mustKey(t testing.TB, uri string) *keys.Key {
	t.Helper()
	k, err := keys.Open(uri, keys.Options{Getenv: func(k string) string {
		if k == "VBDT_PIN" {
			return testpki.Password
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func mustFont(t testing.TB) string {
	t.Helper()
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(t, err.Error())
	}
	return face.Regular
}

// pdfsig is an independent verifier; its exit code means nothing, so its text is read.
func pdfsig(t *testing.T, path string) string {
	t.Helper()
	out, _ := exec.Command("pdfsig", path).CombinedOutput()
	return string(out)
}

func mustValid(t *testing.T, path string, sigs int) {
	t.Helper()
	mustValidBy(t, path, sigs, true)
}

// mustValidBy checks with pdfsig, qpdf and vbdt's own check, and with pdfcpu unless told not to:
// pdfcpu v0.15.0 fails on any document that has an unsigned signature field ("signature field
// dict entry V: missing signature dict reference"), which a number stamped as new fields is.
func mustValidBy(t *testing.T, path string, sigs int, withPdfcpu bool) {
	t.Helper()
	out := pdfsig(t, path)
	if n := strings.Count(out, "Signature Validation: Signature is Valid."); n != sigs {
		t.Fatalf("pdfsig: %d valid signatures, want %d:\n%s", n, sigs, out)
	}
	var signed []string // pdfsig's blocks of signed fields (it lists unsigned ones too)
	for _, block := range strings.Split(out, "Signature #")[1:] {
		if !strings.Contains(block, "form field is not signed") {
			signed = append(signed, block)
		}
	}
	if len(signed) != sigs || !strings.Contains(signed[sigs-1], "- Total document signed") {
		t.Fatalf("pdfsig: the last signature does not cover the whole document:\n%s", out)
	}
	qpdfCheck(t, path)
	if withPdfcpu {
		pdfcpuIntact(t, path, sigs)
	}
	checks, err := verify.CheckFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range checks {
		if !c.Intact {
			t.Fatalf("signature %d (%s): %s", i+1, c.Field, c.Problem)
		}
	}
	if len(checks) != sigs || !checks[sigs-1].WholeFile {
		t.Fatalf("checks %+v", checks)
	}
}

func TestSignInvisible(t *testing.T) {
	for _, alg := range testpki.Algs {
		t.Run(string(alg), func(t *testing.T) {
			fx := setup(t, alg)
			for _, tc := range []struct {
				name   string
				h      crypto.Hash
				pss    bool
				stream bool // the document read from its file, not held in memory
			}{{"sha256", crypto.SHA256, false, false}, {"sha384", crypto.SHA384, false, false}, {"sha512", crypto.SHA512, false, false},
				{"pss", crypto.SHA256, true, false}, {"streamed", crypto.SHA256, false, true}} {
				if tc.pss && alg != testpki.RSA {
					continue
				}
				out := filepath.Join(fx.dir, tc.name+".pdf")
				req := Request{Signer: fx.org, Chain: fx.org.Chain, Hash: tc.h, PSS: tc.pss,
					Reason: "Phát hành văn bản", Location: "Hà Nội"}
				if tc.stream {
					signStreamed(t, fx.doc, out, req)
				} else if _, err := SignFile(context.Background(), fx.doc, out, req); err != nil {
					t.Fatal(err)
				}
				mustValid(t, out, 1)
				orig, _ := os.ReadFile(fx.doc)
				got, _ := os.ReadFile(out)
				if !bytes.HasPrefix(got, orig) {
					t.Fatal("the original bytes are not a prefix of the signed document")
				}
			}
		})
	}
}

// signStreamed signs a document opened from its file, the way documents over 4 MB are: hashed
// back from the output and the signature patched in place.
func signStreamed(t *testing.T, in, out string, req Request) {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	doc, err := pdf.Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if doc.Bytes() != nil {
		t.Fatal("the document is held in memory")
	}
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := Sign(context.Background(), doc, o, req); err != nil {
		t.Fatal(err)
	}
}

// Approver signs (fields for the number and date, DocMDP P=2) → the clerk fills the number →
// the organization signs: every signature still verifies.
func TestApproverStampIssuer(t *testing.T) {
	fx := setup(t, testpki.RSA)
	approved := filepath.Join(fx.dir, "1-approved.pdf")
	_, err := SignFile(context.Background(), fx.doc, approved, Request{Signer: fx.approv, Chain: fx.approv.Chain, Field: "approver", DocMDP: 2,
		Font: fx.font, TextFields: []pdf.TextField{
			// clear of the sample's own text, so that the extracted text can be read back
			{Name: "so", Page: 1, Rect: pdf.Rect{X1: 60, Y1: 100, X2: 200, Y2: 116}, Size: 12},
			{Name: "ngay", Page: 1, Rect: pdf.Rect{X1: 300, Y1: 100, X2: 560, Y2: 116}, Size: 12},
		}})
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, approved, 1)

	// the clerk's number, as an incremental form fill
	doc, err := pdf.OpenFile(approved)
	if err != nil {
		t.Fatal(err)
	}
	inc := doc.NewIncrement()
	if err := inc.FillText("so", "Số: 15/QĐ-UBND", nil); err != nil {
		t.Fatal(err)
	}
	if err := inc.FillText("ngay", "Hà Nội, ngày 05 tháng 01 năm 2026", nil); err != nil {
		t.Fatal(err)
	}
	w, err := inc.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	stamped := filepath.Join(fx.dir, "2-stamped.pdf")
	orig, _ := os.ReadFile(approved)
	os.WriteFile(stamped, append(orig, w.Bytes...), 0o644)
	checks, err := verify.CheckFile(stamped)
	if err != nil || len(checks) != 1 || !checks[0].Intact || checks[0].WholeFile || checks[0].DocMDP != 2 {
		t.Fatalf("after the fill: %+v %v", checks, err)
	}
	issued := filepath.Join(fx.dir, "3-issued.pdf")
	if _, err := SignFile(context.Background(), stamped, issued, Request{Signer: fx.org, Chain: fx.org.Chain, Field: "organization",
		Time: time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("+07", 7*3600))}); err != nil {
		t.Fatal(err)
	}
	mustValid(t, issued, 2)
	text, _ := exec.Command("pdftotext", issued, "-").Output()
	if !strings.Contains(string(text), "15/QĐ-UBND") || !strings.Contains(string(text), "ngày 05 tháng 01 năm 2026") {
		t.Errorf("the number does not show in the rendered text:\n%s", text)
	}
	doc2, _ := pdf.OpenFile(issued)
	fields, _ := doc2.Fields()
	vals := map[string]string{}
	for _, f := range fields {
		vals[f.Name] = f.Value
	}
	if vals["so"] != "Số: 15/QĐ-UBND" {
		t.Errorf("field values %v", vals)
	}
}

// A byte changed inside the signed range is detected.
func TestTamperDetected(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	out := filepath.Join(fx.dir, "signed.pdf")
	if _, err := SignFile(context.Background(), fx.doc, out, Request{Signer: fx.org, Chain: fx.org.Chain}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	i := bytes.Index(data, []byte("Creator"))
	data[i] = 'c'
	os.WriteFile(out, data, 0o644)
	checks, err := verify.CheckFile(out)
	if err != nil || len(checks) != 1 || checks[0].Intact || !strings.Contains(checks[0].Problem, "digest mismatch") {
		t.Fatalf("tampering not detected: %+v %v", checks, err)
	}
	if !strings.Contains(pdfsig(t, out), "Digest Mismatch") {
		t.Error("pdfsig does not see the tampering either")
	}
	if v, err := pdf.PdfcpuSignatures(out); err == nil && len(v) == 1 && v[0].Intact {
		t.Errorf("pdfcpu does not see the tampering: %+v", v[0])
	}
}

// B-T: the signature value is timestamped by a TSA (openssl ts on loopback).
// qpdfCheck runs qpdf --check, an independent parser's structural check.
func qpdfCheck(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("qpdf", "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
}

// pdfcpuIntact asks pdfcpu for its verdicts: n signatures, each intact.
func pdfcpuIntact(t *testing.T, path string, n int) {
	t.Helper()
	verdicts, err := pdf.PdfcpuSignatures(path)
	if err != nil || len(verdicts) != n {
		t.Fatalf("pdfcpu: %d verdicts, %v", len(verdicts), err)
	}
	for i, v := range verdicts {
		if !v.Intact {
			t.Fatalf("pdfcpu: signature %d: %s %v", i+1, v.Status, v.Problems)
		}
	}
}

func TestSignBT(t *testing.T) {
	fx := setup(t, testpki.RSA)
	testenv.NeedTools(t, "openssl")
	tsa, err := testenv.StartTSA(fx.pki, testpki.RSA)
	if err != nil {
		t.Fatal(err)
	}
	defer tsa.Close()
	out := filepath.Join(fx.dir, "bt.pdf")
	before := time.Now().Add(-2 * time.Second)
	if _, err := SignFile(context.Background(), fx.doc, out, Request{Signer: fx.org, Chain: fx.org.Chain, TSA: &TSA{URL: tsa.URL}}); err != nil {
		t.Fatal(err)
	}
	mustValid(t, out, 1)
	checks, _ := verify.CheckFile(out)
	if checks[0].Level != "B-T" || checks[0].Timestamp.Before(before) || checks[0].Timestamp.After(time.Now().Add(2*time.Second)) {
		t.Fatalf("level %s, timestamp %v", checks[0].Level, checks[0].Timestamp)
	}
	// A TSA that does not answer fails the signature; nothing is written.
	bad := filepath.Join(fx.dir, "bad.pdf")
	if _, err := SignFile(context.Background(), fx.doc, bad, Request{Signer: fx.org, Chain: fx.org.Chain, TSA: &TSA{URL: "http://127.0.0.1:1/tsa"}}); err == nil {
		t.Fatal("signed without the TSA")
	}
	if _, err := os.Stat(bad); err == nil {
		t.Fatal("a file was left behind")
	}
}

// After approver → stamp → issuer, only form filling and a signature follow the approver's
// signature; a page content change in a later increment is caught.
func TestChangesAfterApproval(t *testing.T) {
	fx := setup(t, testpki.RSA)
	issued, _ := decree30Flow(t, fx)
	reports, err := verify.AnalyzeChanges(issued)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 || reports[0].Worst != verify.ModFormFill || !reports[0].Allowed || reports[1].Worst != verify.ModNone {
		t.Fatalf("reports %+v", reports)
	}
	// an incremental update that changes what page 1 shows (a shadow attack)
	doc, err := pdf.OpenFile(issued)
	if err != nil {
		t.Fatal(err)
	}
	inc := doc.NewIncrement()
	if err := inc.ReplacePageContent(1, []byte("BT /F1 40 Tf 100 400 Td (FORGED) Tj ET")); err != nil {
		t.Fatal(err)
	}
	w, _ := inc.Bytes()
	forged := filepath.Join(fx.dir, "forged.pdf")
	orig, _ := os.ReadFile(issued)
	os.WriteFile(forged, append(orig, w.Bytes...), 0o644)
	reports, err = verify.AnalyzeChanges(forged)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if r.Worst != verify.ModOther || r.Allowed {
			t.Errorf("signature %s: the page change is not flagged: %+v", r.Field, r)
		}
	}
}

// An annotation added after a certification is an annotation change: DocMDP P=2 forbids it,
// P=3 and an approval signature permit it; a new signature field is form filling for all three.
func TestAnnotationAfterCertification(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	for _, tc := range []struct {
		docMDP  int
		allowed bool
	}{{2, false}, {3, true}, {0, true}} {
		signed := filepath.Join(fx.dir, fmt.Sprintf("p%d.pdf", tc.docMDP))
		if _, err := SignFile(context.Background(), fx.doc, signed, Request{Signer: fx.org, Chain: fx.org.Chain, DocMDP: tc.docMDP}); err != nil {
			t.Fatal(err)
		}
		doc, err := pdf.OpenFile(signed)
		if err != nil {
			t.Fatal(err)
		}
		inc := doc.NewIncrement()
		if err := inc.AddFreeText(1, pdf.Rect{X1: 100, Y1: 100, X2: 300, Y2: 140}, "ĐÃ XEM"); err != nil {
			t.Fatal(err)
		}
		w, err := inc.Bytes()
		doc.Close()
		if err != nil {
			t.Fatal(err)
		}
		annotated := filepath.Join(fx.dir, fmt.Sprintf("p%d-annotated.pdf", tc.docMDP))
		orig, _ := os.ReadFile(signed)
		os.WriteFile(annotated, append(orig, w.Bytes...), 0o644)
		reports, err := verify.AnalyzeChanges(annotated)
		if err != nil || len(reports) != 1 {
			t.Fatalf("P=%d: %+v %v", tc.docMDP, reports, err)
		}
		if reports[0].Worst != verify.ModAnnotations || reports[0].Allowed != tc.allowed {
			t.Errorf("P=%d: %+v, want annotations, allowed %v", tc.docMDP, reports[0], tc.allowed)
		}
	}
}

// A long /Reason or /Location leaves the /Contents placeholder whole.
func TestSigDictLongReason(t *testing.T) {
	r := Request{ContentsSize: DefaultContentsSize, Time: time.Now(), Reason: strings.Repeat("Phát hành văn bản ", 40), Location: "Hà Nội"}
	d := sigDict(r)
	if !bytes.Contains(d, []byte("/Contents <"+strings.Repeat("0", 2*r.ContentsSize)+"> >>")) {
		t.Fatalf("the placeholder is damaged: %d bytes", len(d))
	}
}
