package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"

	"github.com/vbdt/vbdt/internal/evidence"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"github.com/vbdt/vbdt/verify"
)

// ltvFixture is a test PKI whose certificates name real OCSP responders (`openssl ocsp`, one
// for what the root issued, one for what the intermediate issued) and a TSA (`openssl ts`).
type ltvFixture struct {
	*fixture
	set       *testpki.Set
	root, int *testenv.OCSP
	tsa       *TSA
	anchors   []*x509.Certificate
}

// ltvSetup starts the responders; revoked certificates answer revoked at their time.
func ltvSetup(t *testing.T, revoked map[testpki.Role]time.Time) *ltvFixture {
	t.Helper()
	testenv.NeedTools(t, "openssl", "pdfsig", "qpdf")
	rootEP, intEP := testenv.Reserve(t), testenv.Reserve(t)
	set, err := testpki.GenerateWith(testpki.RSA, time.Now(), testpki.URLs{OCSP: map[testpki.Role]string{
		testpki.Root: rootEP.URL, testpki.Intermediate: intEP.URL}})
	if err != nil {
		t.Fatal(err)
	}
	fx := setup(t, testpki.RSA)
	if err := set.Write(fx.pki); err != nil { // over setup's PKI: these certificates name the responders
		t.Fatal(err)
	}
	fx.org = mustKey(t, "file:"+testpki.FilesFor(fx.pki, testpki.Organization, testpki.RSA).P12)
	fx.approv = mustKey(t, "file:"+testpki.FilesFor(fx.pki, testpki.Approver, testpki.RSA).P12)
	rev := map[*x509.Certificate]time.Time{}
	for r, at := range revoked {
		rev[set.Get(r).Cert] = at
	}
	lf := &ltvFixture{fixture: fx, set: set, anchors: []*x509.Certificate{set.Get(testpki.Root).Cert}}
	lf.root = testenv.StartOCSP(t, rootEP, set, testpki.Root, rev)
	lf.int = testenv.StartOCSP(t, intEP, set, testpki.Intermediate, rev)
	ts, err := testenv.StartTSA(fx.pki, testpki.RSA)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	lf.tsa = &TSA{URL: ts.URL}
	return lf
}

// approve has the approver sign the fixture's document at B-T (certifying it, with the number
// fields and the organization's field prepared); it returns the result and the seal image.
func (lf *ltvFixture) approve(t *testing.T) (string, *pdf.Image) {
	t.Helper()
	sig, seal := images(t, lf.dir)
	approved := filepath.Join(lf.dir, "approved.pdf")
	if err := signAs(t, lf.doc, approved, lf.approv, Appearance{Role: nd30.Approver, Image: sig, Seal: seal, Font: lf.font}, lf.tsa); err != nil {
		t.Fatal(err)
	}
	return approved, seal
}

func (lf *ltvFixture) request(key *keys.Key, level Level, f *evidence.Fetcher) Request {
	return Request{Signer: key, Chain: key.Chain, TSA: lf.tsa, Level: level, LTV: LTV{Evidence: f, Roots: lf.anchors}}
}

// verdict verifies offline, trusting the test root: the level and verdict of each signature.
func (lf *ltvFixture) verdict(t *testing.T, path string) *verify.Report {
	t.Helper()
	rep, err := verify.File(context.Background(), path, verify.Options{Anchors: lf.anchors, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// dssOf reads a document's DSS and VRI keys.
func dssOf(t *testing.T, path string) (*pdf.DSS, string) {
	t.Helper()
	doc, err := pdf.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	dss, err := doc.DSS()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	return dss, string(b)
}

// B-LT and B-LTA: the DSS holds every certificate of the signer's and the TSA's chains and an
// OCSP response for each that is not a root, a VRI entry keyed by the signature; the result
// passes pdfsig, qpdf, pdfcpu and vbdt verify (offline: only what the document carries) at the
// level asked; the B-T signature's bytes are an exact prefix of the result.
func TestSignLTAndLTA(t *testing.T) {
	lf := ltvSetup(t, nil)
	for _, level := range []Level{LevelLT, LevelLTA} {
		t.Run(string(level), func(t *testing.T) {
			f := evidence.NewFetcher(nil)
			out := filepath.Join(lf.dir, string(level)+".pdf")
			res, err := SignFile(context.Background(), lf.doc, out, lf.request(lf.org, level, f))
			if err != nil {
				t.Fatal(err)
			}
			if level == LevelLTA {
				if res.Timestamp == "" {
					t.Fatal("no document timestamp field in the result")
				}
			}
			mustValidLTV(t, out, 1, level == LevelLTA)
			dss, raw := dssOf(t, out)
			// root, intermediate, organization, TSA; OCSP for organization, intermediate, TSA
			if len(dss.Certs) < 4 || len(dss.OCSPs) != 3 || len(dss.CRLs) != 0 {
				t.Fatalf("DSS: %d certificates, %d OCSP responses, %d CRLs", len(dss.Certs), len(dss.OCSPs), len(dss.CRLs))
			}
			for _, der := range dss.OCSPs {
				if r, err := ocsp.ParseResponse(der, nil); err != nil || r.Status != ocsp.Good {
					t.Fatalf("a DSS OCSP response: %v", err)
				}
			}
			checks, _ := verify.CheckFile(out)
			if key := checks[0].Evidence().VRIKey; !strings.Contains(raw, "/"+key) {
				t.Fatalf("no VRI entry /%s", key)
			}
			rep := lf.verdict(t, out)
			if rep.Indication != verify.TotalPassed {
				t.Fatalf("verify: %s %s %s", rep.Indication, rep.SubIndication, rep.Reason)
			}
			s := rep.Signatures[0]
			if s.Level != string(level) || !strings.HasPrefix(s.Revocation.Source, "DSS") || !s.Changes.Allowed {
				t.Fatalf("signature: level %s, revocation %+v, changes %+v", s.Level, s.Revocation, s.Changes)
			}
			// the signed revision is untouched: its bytes are a prefix, its digest still verifies
			b, _ := os.ReadFile(out)
			if end := res.ByteRange[2] + res.ByteRange[3]; end >= int64(len(b)) || checks[0].SignedSize != end {
				t.Fatalf("the signature's revision ends at %d of %d (check: %d)", end, len(b), checks[0].SignedSize)
			}
			if in, _ := os.ReadFile(lf.doc); !bytes.HasPrefix(b, in) {
				t.Fatal("the original is not a prefix of the result")
			}
		})
	}
}

// The Decree 30 document: approver (certifies P=2), the clerk's number, the organization at
// B-LTA: validation data for both signatures, a document timestamp, and strict change analysis
// still finds nothing illegal after either signature.
func TestDecree30AtLTA(t *testing.T) {
	lf := ltvSetup(t, nil)
	approved, seal := lf.approve(t)
	numbered := filepath.Join(lf.dir, "numbered.pdf")
	if _, err := Stamp(StampRequest{In: approved, Out: numbered, NumberLine: "Số: 15/QĐ-UBND", DateLine: "Hà Nội, ngày 30 tháng 11 năm 2026"}); err != nil {
		t.Fatal(err)
	}
	issued := filepath.Join(lf.dir, "issued.pdf")
	doc, err := pdf.OpenFile(numbered)
	if err != nil {
		t.Fatal(err)
	}
	r := lf.request(lf.org, LevelLTA, evidence.NewFetcher(nil))
	r.Time = time.Now()
	if err := (Appearance{Role: nd30.Issuer, Seal: seal}).Apply(doc, &r); err != nil {
		t.Fatal(err)
	}
	doc.Close()
	if _, err := SignFile(context.Background(), numbered, issued, r); err != nil {
		t.Fatal(err)
	}
	rep := lf.verdict(t, issued)
	if rep.Indication != verify.TotalPassed {
		t.Fatalf("verify: %s %s %s", rep.Indication, rep.SubIndication, rep.Reason)
	}
	levels := map[string]int{}
	for _, s := range rep.Signatures {
		levels[s.Level]++
		if !s.Changes.Allowed || verify.Worse(s.Changes.Worst, verify.ModFormFill) {
			t.Errorf("%s: changes after it %s %v", s.Field, s.Changes.Worst, s.Changes.Items)
		}
	}
	if levels["B-LTA"] != 2 || levels["document timestamp"] != 1 {
		t.Fatalf("levels %v", levels)
	}
	_, raw := dssOf(t, issued)
	checks, _ := verify.CheckFile(issued)
	for _, c := range checks {
		if !c.DocTimestamp() && !strings.Contains(raw, "/"+c.Evidence().VRIKey) {
			t.Errorf("no VRI entry for %s", c.Field)
		}
	}
}

// What cannot be made long-term leaves nothing behind: a signer revoked before signing, a
// certificate the responder does not know, a responder that is down.
func TestSignLTRefused(t *testing.T) {
	lf := ltvSetup(t, map[testpki.Role]time.Time{testpki.Approver: time.Now().Add(-time.Minute)})
	cases := map[string]struct {
		key  *keys.Key
		f    *evidence.Fetcher
		want string
	}{
		"revoked before signing": {lf.approv, evidence.NewFetcher(nil), "was revoked"},
		"responder down":         {lf.org, &evidence.Fetcher{OCSPURL: "http://127.0.0.1:1/"}, "no usable revocation evidence"},
		"offline without files":  {lf.org, &evidence.Fetcher{Offline: true}, "no usable revocation evidence"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(lf.dir, strings.ReplaceAll(name, " ", "-")+".pdf")
			_, err := SignFile(context.Background(), lf.doc, out, lf.request(c.key, LevelLT, c.f))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("a file was left behind")
			}
		})
	}
}

// ltv extend gives a document signed by another implementation (poppler's pdfsig, NSS's CMS)
// its validation data without changing its bytes; a batch of documents signed with one
// certificate asks each responder once per certificate.
func TestExtendOtherToolsSignature(t *testing.T) {
	lf := ltvSetup(t, nil)
	f := evidence.NewFetcher(nil)
	var outs []string
	for i := range 3 {
		in := filepath.Join(lf.dir, "pdfsig"+string(rune('a'+i))+".pdf")
		testenv.PdfsigSign(t, lf.doc, in, lf.set, testpki.Organization)
		out := strings.TrimSuffix(in, ".pdf") + "-lt.pdf"
		if _, err := ExtendFile(context.Background(), in, out, LTV{Evidence: f, Roots: lf.anchors}); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(in)
		b, _ := os.ReadFile(out)
		if !bytes.HasPrefix(b, a) || len(b) == len(a) {
			t.Fatal("the signed document is not an exact prefix of the extended one")
		}
		outs = append(outs, out)
	}
	// organization and intermediate: one request each, for three documents
	if lf.int.Requests() != 1 || lf.root.Requests() != 1 {
		t.Fatalf("OCSP requests: %d to the intermediate's responder, %d to the root's; want 1 and 1", lf.int.Requests(), lf.root.Requests())
	}
	for _, out := range outs {
		mustValidLTV(t, out, 1, false)
		rep := lf.verdict(t, out)
		s := rep.Signatures[0]
		if rep.Indication != verify.TotalPassed || !strings.HasPrefix(s.Revocation.Source, "DSS") || s.Revocation.Status != "good" {
			t.Fatalf("%s: %s %s; revocation %+v", out, rep.Indication, rep.Reason, s.Revocation)
		}
	}
	// extending again adds nothing: refused as such, nothing written
	again := filepath.Join(lf.dir, "again.pdf")
	if _, err := ExtendFile(context.Background(), outs[0], again, LTV{Evidence: f, Roots: lf.anchors}); !errors.Is(err, ErrNothingToAdd) {
		t.Fatalf("extending an extended document again: %v, want ErrNothingToAdd", err)
	}
	if _, err := os.Stat(again); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was written")
	}
	// then an archive timestamp, and a renewal after it: both keep every earlier byte
	lta := filepath.Join(lf.dir, "pdfsig-lta.pdf")
	if _, err := ExtendFile(context.Background(), outs[0], lta, LTV{Evidence: f, Roots: lf.anchors, TSA: lf.tsa, Timestamp: true}); err != nil {
		t.Fatal(err)
	}
	renewed := filepath.Join(lf.dir, "pdfsig-renewed.pdf")
	if _, err := ExtendFile(context.Background(), lta, renewed, LTV{Evidence: f, Roots: lf.anchors, TSA: lf.tsa, Timestamp: true}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(lta)
	b, _ := os.ReadFile(renewed)
	if !bytes.HasPrefix(b, a) {
		t.Fatal("renewal changed earlier bytes")
	}
	rep := lf.verdict(t, renewed)
	stamps := 0
	for _, s := range rep.Signatures {
		if s.Kind == "document timestamp" {
			stamps++
			if s.Indication != verify.TotalPassed {
				t.Errorf("document timestamp %s: %s %s", s.Field, s.Indication, s.Reason)
			}
		}
	}
	if rep.Indication != verify.TotalPassed || stamps != 2 {
		t.Fatalf("renewed: %s %s, %d document timestamps", rep.Indication, rep.Reason, stamps)
	}
}

// mustValidLTV checks a document whose last revisions are long-term validation material (a
// DSS update, then with timestamped a document timestamp): pdfsig finds the signatures valid
// (it cannot check a document timestamp, whose block it lists last, covering the whole
// document), qpdf's check and pdfcpu's validation pass, and vbdt finds every signature (and
// the timestamp) intact.
func mustValidLTV(t *testing.T, path string, sigs int, timestamped bool) {
	t.Helper()
	out := pdfsig(t, path)
	blocks := strings.Split(out, "Signature #")[1:]
	want := sigs
	if timestamped {
		want++
	}
	if n := strings.Count(out, "Signature Validation: Signature is Valid."); n != sigs || len(blocks) != want ||
		timestamped && !strings.Contains(blocks[sigs], "- Total document signed") {
		t.Fatalf("pdfsig: %d valid signatures, want %d (and a document timestamp: %v):\n%s", n, sigs, timestamped, out)
	}
	qpdfCheck(t, path)
	if err := pdf.PdfcpuValidate(path); err != nil {
		t.Fatalf("pdfcpu: %v", err)
	}
	pdfcpuIntact(t, path, want)
	checks, err := verify.CheckFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if last := checks[len(checks)-1]; len(checks) != want || last.DocTimestamp() != timestamped || last.WholeFile != timestamped {
		t.Fatalf("checks %+v", checks)
	}
	for _, c := range checks {
		if !c.Intact {
			t.Fatalf("%s: %s", c.Field, c.Problem)
		}
	}
}

// A certificate revoked after the signature's (timestamped) time keeps the signature: the
// revoked answer is evidence, and it goes into the DSS.
func TestSignLTRevokedAfterSigning(t *testing.T) {
	revokedAt := time.Now().Add(time.Hour).Truncate(time.Second)
	lf := ltvSetup(t, map[testpki.Role]time.Time{testpki.Organization: revokedAt})
	out := filepath.Join(lf.dir, "lt.pdf")
	if _, err := SignFile(context.Background(), lf.doc, out, lf.request(lf.org, LevelLT, evidence.NewFetcher(nil))); err != nil {
		t.Fatal(err)
	}
	dss, _ := dssOf(t, out)
	revoked := 0
	for _, der := range dss.OCSPs {
		if r, err := ocsp.ParseResponse(der, nil); err == nil && r.Status == ocsp.Revoked && r.RevokedAt.Equal(revokedAt) {
			revoked++
		}
	}
	if revoked != 1 {
		t.Fatalf("%d revoked answers at %v in the DSS", revoked, revokedAt)
	}
}

// Everything else keeps working on long-term files: an approved document given validation
// data and a document timestamp is numbered (a form fill after the DSS and the timestamp) and
// sealed, and every signature still permits what follows it.
func TestStampAndSealAfterLTA(t *testing.T) {
	lf := ltvSetup(t, nil)
	approved, seal := lf.approve(t)
	lta := filepath.Join(lf.dir, "approved-lta.pdf")
	f := evidence.NewFetcher(nil)
	if _, err := ExtendFile(context.Background(), approved, lta, LTV{Evidence: f, Roots: lf.anchors, TSA: lf.tsa, Timestamp: true}); err != nil {
		t.Fatal(err)
	}
	numbered := filepath.Join(lf.dir, "numbered.pdf")
	res, err := Stamp(StampRequest{In: lta, Out: numbered, NumberLine: "Số: 15/QĐ-UBND", DateLine: "Hà Nội, ngày 30 tháng 11 năm 2026"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != StampFill {
		t.Fatalf("numbered by %v, want a form fill", res.Method)
	}
	issued := filepath.Join(lf.dir, "issued.pdf")
	if err := signAs(t, numbered, issued, lf.org, Appearance{Role: nd30.Issuer, Seal: seal}, lf.tsa); err != nil {
		t.Fatal(err)
	}
	reports, err := verify.AnalyzeChanges(issued)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 3 {
		t.Fatalf("%d signatures and timestamps, want 3", len(reports))
	}
	for _, r := range reports {
		if !r.Allowed {
			t.Errorf("%s: %s not permitted: %v", r.Field, r.Worst, r.Problems)
		}
	}
}

// A B-B signature claims a time (/M) before its certificate's revocation: nothing proves it,
// so the revocation counts and no validation data is added (found by review).
func TestExtendBackdatedBBRefused(t *testing.T) {
	lf := ltvSetup(t, map[testpki.Role]time.Time{testpki.Organization: time.Now().Add(-10 * time.Minute).Truncate(time.Second)})
	bb := filepath.Join(lf.dir, "bb.pdf")
	if _, err := SignFile(context.Background(), lf.doc, bb, Request{Signer: lf.org, Chain: lf.org.Chain, Time: time.Now().Add(-30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(lf.dir, "bb-lta.pdf")
	_, err := ExtendFile(context.Background(), bb, out, LTV{Evidence: evidence.NewFetcher(nil), Roots: lf.anchors, TSA: lf.tsa, Timestamp: true})
	if err == nil || !strings.Contains(err.Error(), "was revoked") {
		t.Fatalf("err = %v, want the revocation", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was left behind")
	}
}

// An OCSP answer a document carries counts only when it is authentic and speaks for the
// signature's time: a "good" answer that expired before the signature timestamp, or one signed
// by the signer's own key, does not hide a revocation before it (found by review). Offline the
// status is unknown; online the responder says revoked.
func TestVerifyIgnoresForgedDSSAnswers(t *testing.T) {
	lf := ltvSetup(t, map[testpki.Role]time.Time{testpki.Organization: time.Now().Add(-10 * time.Minute).Truncate(time.Second)})
	bt := filepath.Join(lf.dir, "bt.pdf")
	if _, err := SignFile(context.Background(), lf.doc, bt, Request{Signer: lf.org, Chain: lf.org.Chain, TSA: lf.tsa}); err != nil {
		t.Fatal(err)
	}
	org, ca := lf.set.Get(testpki.Organization), lf.set.Get(testpki.Intermediate)
	old := time.Now().Add(-50 * time.Minute).Truncate(time.Minute)
	for name, tc := range map[string]struct {
		responder testpki.Identity
		next      time.Time
	}{
		"stale answer of the real responder": {lf.set.Get(testpki.OCSP), old.Add(20 * time.Minute)},
		"answer signed by the signer itself": {org, time.Now().Add(time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			der, err := ocsp.CreateResponse(ca.Cert, tc.responder.Cert, ocsp.Response{Status: ocsp.Good, SerialNumber: org.Cert.SerialNumber,
				ThisUpdate: old, NextUpdate: tc.next, Certificate: tc.responder.Cert}, tc.responder.Key)
			if err != nil {
				t.Fatal(err)
			}
			forged := withDSSAnswers(t, bt, filepath.Join(lf.dir, "forged.pdf"), der)
			for _, offline := range []bool{true, false} {
				rep, err := verify.File(context.Background(), forged, verify.Options{Anchors: lf.anchors, Offline: offline})
				if err != nil {
					t.Fatal(err)
				}
				s := rep.Signatures[0]
				want := map[bool]string{true: "unknown", false: "revoked"}[offline]
				if s.Indication == verify.TotalPassed || s.Revocation.Status != want {
					t.Errorf("offline %v: %s, revocation %+v; want %s", offline, s.Indication, s.Revocation, want)
				}
			}
		})
	}
}

// Renewing an archive timestamp years on needs fresh evidence only where the document has none:
// a signature the DSS already has a VRI entry for keeps its validation data when its
// responder no longer answers (here: offline, with answers for the TSA's chain only).
func TestRenewKeepsEarlierEvidence(t *testing.T) {
	lf := ltvSetup(t, nil)
	lta := filepath.Join(lf.dir, "lta.pdf")
	if _, err := SignFile(context.Background(), lf.doc, lta, lf.request(lf.org, LevelLTA, evidence.NewFetcher(nil))); err != nil {
		t.Fatal(err)
	}
	dss, _ := dssOf(t, lta)
	files := &evidence.Files{}
	tsa, ca := lf.set.Get(testpki.TSA).Cert, lf.set.Get(testpki.Intermediate).Cert
	for _, der := range dss.OCSPs {
		r, err := ocsp.ParseResponse(der, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.SerialNumber.Cmp(tsa.SerialNumber) == 0 || r.SerialNumber.Cmp(ca.SerialNumber) == 0 {
			if err := files.Add(der, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	renewed := filepath.Join(lf.dir, "renewed.pdf")
	f := &evidence.Fetcher{Offline: true, Files: files}
	if _, err := ExtendFile(context.Background(), lta, renewed, LTV{Evidence: f, Roots: lf.anchors, TSA: lf.tsa, Timestamp: true}); err != nil {
		t.Fatal(err)
	}
	rep := lf.verdict(t, renewed)
	if rep.Indication != verify.TotalPassed || rep.Signatures[0].Level != "B-LTA" {
		t.Fatalf("renewed: %s %s; first signature %s", rep.Indication, rep.Reason, rep.Signatures[0].Level)
	}
}

// A PKI whose certificates name no revocation service: the chain alone is the validation data.
func TestExtendWithoutRevocationServices(t *testing.T) {
	fx := setup(t, testpki.RSA) // setup's PKI names no OCSP responder, CRL or issuer URL
	testenv.NeedTools(t, "openssl")
	ts, err := testenv.StartTSA(fx.pki, testpki.RSA)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	bt := filepath.Join(fx.dir, "bt.pdf")
	if _, err := SignFile(context.Background(), fx.doc, bt, Request{Signer: fx.org, Chain: fx.org.Chain, TSA: &TSA{URL: ts.URL}}); err != nil {
		t.Fatal(err)
	}
	lt := filepath.Join(fx.dir, "lt.pdf")
	root := fx.org.Chain[len(fx.org.Chain)-1]
	if _, err := ExtendFile(context.Background(), bt, lt, LTV{Evidence: evidence.NewFetcher(nil), Roots: []*x509.Certificate{root}}); err != nil {
		t.Fatal(err)
	}
	dss, _ := dssOf(t, lt)
	if len(dss.Certs) < 4 || len(dss.OCSPs)+len(dss.CRLs) != 0 {
		t.Fatalf("DSS: %d certificates, %d OCSP responses, %d CRLs", len(dss.Certs), len(dss.OCSPs), len(dss.CRLs))
	}
}

// A signer revoked ten minutes ago signs now without a timestamp, claiming (/M) an hour ago,
// and embeds a genuine "good" answer from before the revocation: nothing proves the claimed
// time, so the status now counts and the signature does not pass (found by a second review).
func TestVerifyBackdatedBBWithOldGoodAnswer(t *testing.T) {
	lf := ltvSetup(t, map[testpki.Role]time.Time{testpki.Organization: time.Now().Add(-10 * time.Minute).Truncate(time.Second)})
	bb := filepath.Join(lf.dir, "bb.pdf")
	claimed := time.Now().Add(-time.Hour)
	if _, err := SignFile(context.Background(), lf.doc, bb, Request{Signer: lf.org, Chain: lf.org.Chain, Time: claimed}); err != nil {
		t.Fatal(err)
	}
	org, ca, resp := lf.set.Get(testpki.Organization), lf.set.Get(testpki.Intermediate), lf.set.Get(testpki.OCSP)
	der, err := ocsp.CreateResponse(ca.Cert, resp.Cert, ocsp.Response{Status: ocsp.Good, SerialNumber: org.Cert.SerialNumber,
		ThisUpdate: claimed.Add(-10 * time.Minute), NextUpdate: claimed.Add(20 * time.Minute), Certificate: resp.Cert}, resp.Key)
	if err != nil {
		t.Fatal(err)
	}
	forged := withDSSAnswers(t, bb, filepath.Join(lf.dir, "bb-old-good.pdf"), der)
	for _, offline := range []bool{true, false} {
		rep, err := verify.File(context.Background(), forged, verify.Options{Anchors: lf.anchors, Offline: offline})
		if err != nil {
			t.Fatal(err)
		}
		if s := rep.Signatures[0]; s.Indication == verify.TotalPassed {
			t.Errorf("offline %v: a signature made after its certificate's revocation passes: revocation %+v", offline, s.Revocation)
		}
	}
}

// withDSSAnswers writes to out the document in with a DSS update carrying the OCSP answers.
func withDSSAnswers(t *testing.T, in, out string, ders ...[]byte) string {
	t.Helper()
	return withDSS(t, in, out, pdf.DSS{OCSPs: ders})
}

// withDSS writes to out the document in with a DSS update adding dss and vris.
func withDSS(t *testing.T, in, out string, dss pdf.DSS, vris ...pdf.VRI) string {
	t.Helper()
	doc, err := pdf.OpenFile(in)
	if err != nil {
		t.Fatal(err)
	}
	inc := doc.NewIncrement()
	if _, err := inc.AddDSS(dss, vris); err != nil {
		t.Fatal(err)
	}
	w, err := inc.Bytes()
	doc.Close()
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(in)
	if err := os.WriteFile(out, append(orig, w.Bytes...), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// A signature made after its certificate's revocation, in a document whose DSS has a planted,
// empty VRI entry for it, while the responder for the intermediate is down: the "keep earlier
// evidence" rule must not skip the leaf's "revoked" answer (found by a second review).
func TestExtendKeptVRIDoesNotHideRevocation(t *testing.T) {
	lf := ltvSetup(t, map[testpki.Role]time.Time{testpki.Organization: time.Now().Add(-10 * time.Minute).Truncate(time.Second)})
	bt := filepath.Join(lf.dir, "bt.pdf")
	if _, err := SignFile(context.Background(), lf.doc, bt, Request{Signer: lf.org, Chain: lf.org.Chain, TSA: lf.tsa}); err != nil {
		t.Fatal(err)
	}
	checks, err := verify.CheckFile(bt)
	if err != nil {
		t.Fatal(err)
	}
	planted := withDSS(t, bt, filepath.Join(lf.dir, "planted.pdf"), pdf.DSS{}, pdf.VRI{Key: checks[0].Evidence().VRIKey})
	lf.root.Close()
	for _, stamp := range []bool{false, true} {
		_, err := ExtendFile(context.Background(), planted, filepath.Join(lf.dir, "out.pdf"), LTV{Evidence: evidence.NewFetcher(nil), Roots: lf.anchors, TSA: lf.tsa, Timestamp: stamp})
		if err == nil || !strings.Contains(err.Error(), "was revoked") {
			t.Errorf("timestamp %v: err = %v, want the revocation", stamp, err)
		}
	}
}

// A signer revoked ten minutes ago timestamps its signature with a TSA of its own (self-signed,
// timeStamping EKU) dated before the revocation: a TSA nobody trusts proves no time, so the
// revocation counts (found by a second review).
func TestExtendUntrustedTimestampProvesNothing(t *testing.T) {
	revokedAt := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	lf := ltvSetup(t, map[testpki.Role]time.Time{testpki.Organization: revokedAt})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Fake TSA"},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: revokedAt.Add(-5 * time.Minute),
			Policy: asn1.ObjectIdentifier{1, 2, 3, 4, 1}, Nonce: req.Nonce, AddTSACertificate: true}
		resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	defer srv.Close()
	bt := filepath.Join(lf.dir, "bt-fake.pdf")
	if _, err := SignFile(context.Background(), lf.doc, bt, Request{Signer: lf.org, Chain: lf.org.Chain, TSA: &TSA{URL: srv.URL}}); err != nil {
		t.Fatalf("signing with the fake TSA: %v", err)
	}
	_, err = ExtendFile(context.Background(), bt, filepath.Join(lf.dir, "out.pdf"), LTV{Evidence: evidence.NewFetcher(nil), Roots: lf.anchors, TSA: lf.tsa, Timestamp: true})
	if err == nil || !strings.Contains(err.Error(), "was revoked") {
		t.Fatalf("err = %v, want the revocation", err)
	}
}

// A responder's "unknown" in the DSS next to a "good" answer for the same certificate is no
// evidence against it: the signature still passes (found by a second review).
func TestVerifyUnknownAnswerBesideGood(t *testing.T) {
	lf := ltvSetup(t, nil)
	lt := filepath.Join(lf.dir, "lt.pdf")
	if _, err := SignFile(context.Background(), lf.doc, lt, lf.request(lf.org, LevelLT, evidence.NewFetcher(nil))); err != nil {
		t.Fatal(err)
	}
	org, ca, resp := lf.set.Get(testpki.Organization), lf.set.Get(testpki.Intermediate), lf.set.Get(testpki.OCSP)
	now := time.Now()
	der, err := ocsp.CreateResponse(ca.Cert, resp.Cert, ocsp.Response{Status: ocsp.Unknown, SerialNumber: org.Cert.SerialNumber,
		ThisUpdate: now, NextUpdate: now.Add(time.Hour), Certificate: resp.Cert}, resp.Key)
	if err != nil {
		t.Fatal(err)
	}
	out := withDSSAnswers(t, lt, filepath.Join(lf.dir, "lt-unknown.pdf"), der)
	if rep := lf.verdict(t, out); rep.Indication != verify.TotalPassed {
		t.Fatalf("%s %s: revocation %+v", rep.Indication, rep.Reason, rep.Signatures[0].Revocation)
	}
}
