package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/go-pdf/fpdf"

	"github.com/vbdt/vbdt/internal/testpki"
)

// TestPeerSign signs a generated PDF with the peersign tool, approval (P=0) and certified
// with DocMDP P=2, in both algorithms of the test PKI, and checks the result with poppler's
// pdfsig and qpdf, and that only the certified one has /Perms /DocMDP.
func TestPeerSign(t *testing.T) {
	NeedTools(t, "pdfsig", "qpdf")
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	PKI(t, pkiDir)

	in := filepath.Join(dir, "in.pdf")
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 14)
	p.Text(20, 30, "Signed by peersign (TEST)")
	if err := p.OutputFileAndClose(in); err != nil {
		t.Fatal(err)
	}

	for _, alg := range testpki.Algs {
		f := testpki.FilesFor(pkiDir, testpki.Approver, alg)
		for _, certify := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/P=%d", alg, certify), func(t *testing.T) {
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.pdf", alg, certify))
				PeerSignPDF(t, in, out, f.Key, f.Cert, certify)

				sig, err := exec.Command("pdfsig", out).CombinedOutput()
				if err != nil || !bytes.Contains(sig, []byte("Signature is Valid")) {
					t.Fatalf("pdfsig does not call the signature valid (%v):\n%s", err, sig)
				}
				if chk, err := exec.Command("qpdf", "--check", out).CombinedOutput(); err != nil {
					t.Fatalf("qpdf --check: %v\n%s", err, chk)
				}

				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				perms := regexp.MustCompile(`/Perms \d+ 0 R`).Match(b) && regexp.MustCompile(`<< /DocMDP \d+ 0 R >>`).Match(b)
				docMDP := regexp.MustCompile(`/TransformMethod /DocMDP\s+/TransformParams <<[^>]*/P 2\b`).Match(b)
				if certify == 2 && (!perms || !docMDP) {
					t.Errorf("certified P=2 but /Perms /DocMDP present = %v, DocMDP /Reference with /P 2 = %v", perms, docMDP)
				}
				if certify == 0 && (perms || bytes.Contains(b, []byte("/DocMDP"))) {
					t.Errorf("approval signature carries /DocMDP")
				}
			})
		}
	}
}
