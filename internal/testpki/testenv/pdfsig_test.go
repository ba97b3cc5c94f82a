package testenv

import (
	"bytes"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/vbdt/vbdt/internal/testpki"
)

// TestPdfsigSign signs a generated PDF with pdfsig in both algorithms, as the approver and as
// the revoked organization, and checks the result with pdfsig itself and qpdf: the signature
// is valid, the file an incremental update of the input, the signer's certificate trusted
// through the NSS database, with the revocation status NSS got from StartOCSP's responder
// (an independent OCSP client).
func TestPdfsigSign(t *testing.T) {
	NeedTools(t, "pdfsig", "qpdf", "openssl", "certutil", "pk12util")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 14)
	p.Text(20, 30, "Signed by poppler's pdfsig (TEST)")
	if err := p.OutputFileAndClose(in); err != nil {
		t.Fatal(err)
	}
	inBytes, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}

	for _, alg := range testpki.Algs {
		t.Run(string(alg), func(t *testing.T) {
			ep := Reserve(t)
			set, err := testpki.GenerateWith(alg, time.Now(), testpki.URLs{OCSP: map[testpki.Role]string{testpki.Intermediate: ep.URL}})
			if err != nil {
				t.Fatal(err)
			}
			responder := StartOCSP(t, ep, set, testpki.Intermediate,
				map[*x509.Certificate]time.Time{set.Get(testpki.Organization).Cert: time.Now().Add(-time.Hour)})

			for _, tc := range []struct {
				role  testpki.Role
				extra []string
				want  []string // in pdfsig's report with the NSS database
			}{
				{testpki.Approver, []string{"-new-signature-field-name", "PdfsigApprover"},
					[]string{"Signature Field Name: PdfsigApprover", "Signature Type: adbe.pkcs7.detached", "Certificate is Trusted"}},
				{testpki.Organization, nil, []string{"Signature Type: adbe.pkcs7.detached", "Certificate has been Revoked"}},
			} {
				out := filepath.Join(dir, string(alg)+"-"+string(tc.role)+".pdf")
				before := responder.Requests()
				PdfsigSign(t, in, out, set, tc.role, tc.extra...)

				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(b, inBytes) {
					t.Errorf("%s: pdfsig did not append to the input (not an incremental update)", tc.role)
				}
				if chk, err := exec.Command("qpdf", "--check", out).CombinedOutput(); err != nil {
					t.Errorf("%s: qpdf --check: %v\n%s", tc.role, err, chk)
				}
				// pdfsig exits 0 whatever it finds: read its report.
				plain, _ := exec.Command("pdfsig", out).CombinedOutput()
				if !bytes.Contains(plain, []byte("Signature is Valid")) {
					t.Errorf("%s: pdfsig does not call the signature valid:\n%s", tc.role, plain)
				}
				trusted, _ := exec.Command("pdfsig", "-nssdir", nssDB(t, set, tc.role), out).CombinedOutput()
				for _, w := range tc.want {
					if !bytes.Contains(trusted, []byte(w)) {
						t.Errorf("%s: pdfsig -nssdir does not say %q:\n%s", tc.role, w, trusted)
					}
				}
				if responder.Requests() == before {
					t.Errorf("%s: NSS never asked the OCSP responder", tc.role)
				}
			}
		})
	}
}
