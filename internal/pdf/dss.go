package pdf

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// DSS is the document security store of PAdES (ETSI EN 319 142-1 §5.4.2): the certificates,
// OCSP responses and CRLs a document carries to validate its signatures later, each as DER.
type DSS struct {
	Certs, OCSPs, CRLs [][]byte
	// VRI holds the keys of the signatures the store has a VRI entry for (when read), each
	// true when the entry lists revocation data (an OCSP response or a CRL).
	VRI map[string]bool
}

// Certificates parses the store's certificates, leaving out those that do not parse.
func (s *DSS) Certificates() []*x509.Certificate {
	var out []*x509.Certificate
	for _, der := range s.Certs {
		if c, err := x509.ParseCertificate(der); err == nil {
			out = append(out, c)
		}
	}
	return out
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
	if vri, err := d.dict(dss["VRI"]); err == nil && vri != nil {
		out.VRI = map[string]bool{}
		for k, e := range vri {
			ed, _ := d.dict(e)
			ocsps, _ := d.array(ed["OCSP"])
			crls, _ := d.array(ed["CRL"])
			out.VRI[k] = len(ocsps)+len(crls) > 0
		}
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

// VRI is the validation data of one signature (ETSI EN 319 142-1 §5.4.2.3), keyed by VRIKey.
type VRI struct {
	Key                string // VRIKey of the signature's /Contents
	Certs, OCSPs, CRLs [][]byte
	// Time, when set, is when the data was gathered (/TU).
	Time time.Time
}

// VRIKey is a signature's key in the DSS's /VRI: the upper-case hex SHA-1 of its /Contents
// string's bytes, trailing padding included (what Adobe and pyHanko compute).
func VRIKey(contents []byte) string {
	s := sha1.Sum(contents)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// AddDSS adds validation data to the document security store, creating it when the document
// has none, and says how many new streams it wrote. Data the store holds already is referenced, not written again; each new
// certificate, OCSP response and CRL becomes one stream. An existing store in an object of its
// own is changed in place, so the catalog stays untouched; VRI entries are added or replaced.
func (inc *Increment) AddDSS(add DSS, vris []VRI) (added int, err error) {
	_, rootRef, err := inc.d.catalog()
	if err != nil {
		return 0, err
	}
	cat, err := inc.d.dict(rootRef)
	if err != nil {
		return 0, err
	}
	var dss types.Dict
	switch o := cat["DSS"].(type) {
	case types.IndirectRef:
		if dss, err = inc.modifyDict(o); err != nil {
			return 0, err
		}
	case types.Dict:
		wc, err := inc.modifyDict(rootRef)
		if err != nil {
			return 0, err
		}
		dss = wc["DSS"].(types.Dict)
	default:
		dss = types.Dict{"Type": types.Name("DSS")}
		wc, err := inc.modifyDict(rootRef)
		if err != nil {
			return 0, err
		}
		wc["DSS"] = inc.Add(dss).ref() // the dictionary is written as it stands at Bytes
		inc.working[wc["DSS"].(types.IndirectRef).ObjectNumber.Value()] = dss
	}
	// what the store holds, by the hash of its bytes, to reference instead of writing again
	known := map[[32]byte]types.IndirectRef{}
	for _, key := range []string{"Certs", "OCSPs", "CRLs"} {
		a, _ := inc.d.array(dss[key])
		for _, o := range a {
			if ref, ok := o.(types.IndirectRef); ok {
				if data, err := inc.d.streamData(ref); err == nil {
					known[sha256.Sum256(data)] = ref
				}
			}
		}
	}
	streamOf := func(data []byte) types.IndirectRef {
		h := sha256.Sum256(data)
		if ref, ok := known[h]; ok {
			return ref
		}
		ref := inc.AddStream(types.Dict{}, data).ref()
		known[h] = ref
		added++
		return ref
	}
	merge := func(d types.Dict, key string, items [][]byte) {
		if len(items) == 0 {
			return
		}
		old, _ := inc.d.array(d[key])
		a := append(types.Array{}, old...)
		have := map[types.IndirectRef]bool{}
		for _, o := range a {
			if ref, ok := o.(types.IndirectRef); ok {
				have[ref] = true
			}
		}
		for _, data := range items {
			if ref := streamOf(data); !have[ref] {
				a, have[ref] = append(a, ref), true
			}
		}
		d[key] = a
	}
	merge(dss, "Certs", add.Certs)
	merge(dss, "OCSPs", add.OCSPs)
	merge(dss, "CRLs", add.CRLs)
	if len(vris) == 0 {
		return added, nil
	}
	vriDict := types.Dict{}
	if old, err := inc.d.dict(dss["VRI"]); err == nil && old != nil {
		for k, v := range old {
			vriDict[k] = v
		}
	}
	for _, v := range vris {
		e := types.Dict{} // an entry given before keeps what it held
		if old, err := inc.d.dict(vriDict[v.Key]); err == nil && old != nil {
			for k, x := range old {
				e[k] = x
			}
		}
		merge(e, "Cert", v.Certs)
		merge(e, "OCSP", v.OCSPs)
		merge(e, "CRL", v.CRLs)
		if !v.Time.IsZero() {
			e["TU"] = TextString(Date(v.Time))
		}
		vriDict[v.Key] = e
	}
	dss["VRI"] = vriDict
	return added, nil
}
