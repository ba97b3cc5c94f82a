package pdf

import (
	"crypto"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// DSS is the document security store of PAdES (ETSI EN 319 142-1 §5.4.2): the certificates,
// OCSP responses and CRLs a document carries to validate its signatures later, each as DER.
type DSS struct {
	Certs, OCSPs, CRLs [][]byte
}

// DSS reads the document security store; a document without one has an empty DSS. Streams
// that cannot be read are left out: validation then lacks them, which it reports.
func (d *Doc) DSS() (*DSS, error) {
	out := &DSS{}
	c, _, err := d.catalog()
	if err != nil {
		return nil, err
	}
	dss, err := d.dict(c["DSS"])
	if err != nil || dss == nil {
		return out, nil
	}
	for key, dst := range map[string]*[][]byte{"Certs": &out.Certs, "OCSPs": &out.OCSPs, "CRLs": &out.CRLs} {
		a, ok := d.array(dss[key])
		if !ok {
			continue
		}
		for _, o := range a {
			if _, ok := o.(types.IndirectRef); !ok {
				continue
			}
			if data, err := d.streamData(o); err == nil {
				*dst = append(*dst, data)
			}
		}
	}
	return out, nil
}

// HashRanges streams the two byte ranges of a /ByteRange [a b c d] of f through a new h.
func HashRanges(f io.ReaderAt, h crypto.Hash, br [4]int64) ([]byte, error) {
	d := h.New()
	buf := make([]byte, min(1<<20, max(br[1], br[3])))
	for _, rg := range [][2]int64{{br[0], br[1]}, {br[2], br[3]}} {
		if _, err := io.CopyBuffer(d, io.NewSectionReader(f, rg[0], rg[1]), buf); err != nil {
			return nil, err
		}
	}
	return d.Sum(nil), nil
}
