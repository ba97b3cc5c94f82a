//go:debug x509negativeserial=1

package verify_test

import (
	"context"
	"crypto/x509"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/verify"
)

// Signed PDFs from other producers and countries, as pdfcpu's module ships them (Ukrainian
// PAdES B-B to B-LTA from a government test CA, Adobe's own samples of 2008–2009, a legacy
// adbe.x509.rsa_sha1 signature): read from the module cache, never copied here.
func samples(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pdfcpu/pdfcpu").Output()
	if err != nil {
		t.Fatalf("locating pdfcpu's module: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "pkg", "samples", "signatures")
}

// rootOf returns the self-signed certificates of the document's DSS.
func rootOf(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	d, err := pdf.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	dss, err := d.DSS()
	if err != nil {
		t.Fatal(err)
	}
	var roots []*x509.Certificate
	for _, der := range dss.Certs {
		if c, err := x509.ParseCertificate(der); err == nil && string(c.RawIssuer) == string(c.RawSubject) {
			roots = append(roots, c)
		}
	}
	if len(roots) == 0 {
		t.Fatalf("%s: no root in its DSS", path)
	}
	return roots
}

func TestRealWorldSamples(t *testing.T) {
	dir := samples(t)
	ua := filepath.Join(dir, "ETSI.CAdES.detached")
	uaRoot := rootOf(t, filepath.Join(ua, "testPAdES_BLT.pdf"))
	for _, tc := range []struct {
		file    string
		anchors []*x509.Certificate
		sha1    bool
		want    verify.Indication
		sub     verify.SubIndication
		level   string // of the first signature
		source  string // its time source
	}{
		// the root is trusted: the DSS holds the chain and OCSP answers, the timestamp's time
		// is proven
		{"ETSI.CAdES.detached/testPAdES_BLT.pdf", uaRoot, false, verify.TotalPassed, "", "B-LT", "signature timestamp"},
		{"ETSI.CAdES.detached/testPAdES_BLTA.pdf", uaRoot, false, verify.TotalPassed, "", "B-LTA", "signature timestamp"},
		// offline, B-B and B-T carry the signer's certificate only: no path to the root
		{"ETSI.CAdES.detached/testPAdES_BB.pdf", uaRoot, false, verify.Indeterminate, verify.NoCertificateChainFound, "B-B", "claimed signing time (unproven)"},
		// the signature timestamp carries no TSA certificate: it proves nothing, breaks nothing
		{"ETSI.CAdES.detached/testPAdES_BT.pdf", uaRoot, false, verify.Indeterminate, verify.NoCertificateChainFound, "B-T", "claimed signing time (unproven)"},
		// an unknown root alone is indeterminate, never failed
		{"ETSI.CAdES.detached/testPAdES_BLTA.pdf", nil, false, verify.Indeterminate, verify.NoCertificateChainFound, "B-LTA", "claimed signing time (unproven)"},
		// SHA-1 (2008–2009) is weak unless allowed; the roots are not trusted
		{"adbe.pkcs7.detached/sample1.pdf", nil, false, verify.Indeterminate, verify.CryptoConstraintsNoPOE, "B-T", "claimed signing time (unproven)"},
		{"adbe.pkcs7.detached/sample2.pdf", nil, true, verify.Indeterminate, verify.NoCertificateChainFound, "B-T", "claimed signing time (unproven)"},
		// a 1024-bit RSA key (2009): weak
		{"adbe.x509.rsa_sha1/sample01.pdf", nil, true, verify.Indeterminate, verify.CryptoConstraintsNoPOE, "B-B", "claimed signing time (unproven)"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rep, err := verify.File(context.Background(), filepath.Join(dir, tc.file),
				verify.Options{Offline: true, Anchors: tc.anchors, AllowSHA1: tc.sha1})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Indication != tc.want || rep.SubIndication != tc.sub {
				t.Fatalf("%s %s (%s), want %s %s", rep.Indication, rep.SubIndication, rep.Reason, tc.want, tc.sub)
			}
			s := rep.Signatures[0]
			if !s.Integrity.OK || s.Level != tc.level || s.TimeSource != tc.source || !s.Changes.Allowed {
				t.Errorf("first signature: integrity %v %q, level %s, time %s, changes %s allowed %v",
					s.Integrity.OK, s.Integrity.Problem, s.Level, s.TimeSource, s.Changes.Worst, s.Changes.Allowed)
			}
			for _, s := range rep.Signatures {
				if !s.Integrity.OK {
					t.Errorf("%s: %s", s.Field, s.Integrity.Problem)
				}
			}
		})
	}
}
