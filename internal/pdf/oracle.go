package pdf

import (
	"fmt"
	"os"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

var trustOnce sync.Once

// PdfcpuVerdict is pdfcpu's own opinion of one signature: an independent second opinion next to
// vbdt's checks (pdfcpu checks the byte range and the CMS, not what changed afterwards).
type PdfcpuVerdict struct {
	Intact    bool // the signature is cryptographically valid (whatever the trust in its chain)
	Certified bool // pdfcpu sees a certification (DocMDP) signature
	Status    string
	Problems  []string
}

// PdfcpuSignatures asks pdfcpu to validate every signature of the file at path.
func PdfcpuSignatures(path string) (out []PdfcpuVerdict, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pdfcpu failed: %v", p)
		}
	}()
	trustOnce.Do(func() {
		// pdfcpu keeps its trust pool in a global folder; give it an empty one of its own
		// (trust is judged by vbdt, not by pdfcpu)
		if dir, err := os.MkdirTemp("", "vbdt-pdfcpu-trust-"); err == nil {
			model.TrustedCertDir = dir
		}
	})
	res, err := api.ValidateSignatures(path, true, config())
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		v := PdfcpuVerdict{Status: r.Status.String(), Problems: r.Problems, Certified: r.Certified()}
		// "unknown" is pdfcpu's verdict for an untrusted chain (our test PKI); the signature
		// itself is intact unless it says invalid.
		v.Intact = r.Status != model.SignatureStatusInvalid
		out = append(out, v)
	}
	return out, nil
}

// PdfcpuValidate runs pdfcpu's validation (its default, relaxed mode) of the file at path.
func PdfcpuValidate(path string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pdfcpu failed: %v", p)
		}
	}()
	return api.ValidateFile(path, config())
}
