package sign

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/digitorus/timestamp"
	"os"

	"github.com/vbdt/vbdt/internal/pdf"
)

// Check is the integrity verdict on one signature: does it still cover the bytes it signed,
// with a valid signature by the certificate it names. Trust, revocation and the analysis of
// later changes belong to vbdt verify.
type Check struct {
	Field      string `json:"field"`
	Signer     string `json:"signer"`
	Intact     bool   `json:"intact"`
	WholeFile  bool   `json:"covers_whole_file"` // the last revision: nothing after it
	SignedSize int64  `json:"signed_size"`       // end of the signed revision
	DocMDP     int    `json:"docmdp,omitempty"`
	// Lock is the signature's FieldMDP: the fields no later change may fill.
	Lock *pdf.FieldLock `json:"field_lock,omitempty"`
	// Level is B-B, or B-T when a signature timestamp covers the signature value.
	Level     string    `json:"level"`
	Timestamp time.Time `json:"timestamp,omitzero"`
	Problem   string    `json:"problem,omitempty"`
}

// CheckFile checks the integrity of every signature of the PDF at path.
func CheckFile(path string) ([]Check, error) {
	f, _, checks, err := openChecked(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	return checks, nil
}

// openChecked opens the PDF at path and checks its signatures; the caller closes f.
func openChecked(path string) (f *os.File, size int64, checks []Check, err error) {
	if f, err = os.Open(path); err != nil {
		return nil, 0, nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		size = fi.Size()
		checks, err = CheckReader(f, size)
	}
	if err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, size, checks, nil
}

// CheckReader checks the integrity of every signature of the PDF of size bytes in r.
func CheckReader(r io.ReaderAt, size int64) ([]Check, error) {
	doc, err := pdf.Open(io.NewSectionReader(r, 0, size), size)
	if err != nil {
		return nil, err
	}
	sigs, err := doc.Signatures()
	if err != nil {
		return nil, err
	}
	var out []Check
	for _, s := range sigs {
		c := Check{Field: s.Field, DocMDP: s.DocMDP, Lock: s.Lock}
		if _, err := checkOne(r, size, s, &c); err != nil {
			c.Problem = err.Error()
		} else {
			c.Intact = true
		}
		out = append(out, c)
	}
	removed, err := removedSignatures(r, size, doc, sigs)
	if err != nil {
		return nil, err
	}
	return append(out, removed...), nil
}

// removedSignatures finds the signatures of earlier revisions that the final document's form no
// longer lists — removed, or hidden by a later revision — and reports each as broken: what was
// signed is no longer what the document shows.
func removedSignatures(r io.ReaderAt, size int64, last *pdf.Doc, final []pdf.Signature) ([]Check, error) {
	ends, err := pdf.RevisionEnds(r, size)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, s := range final {
		seen[fmt.Sprint(s.ByteRange)] = true
	}
	values := last.SignatureValues()
	var out []Check
	for _, end := range ends {
		if end >= size {
			continue
		}
		doc, err := pdf.Open(io.NewSectionReader(r, 0, end), end)
		if err != nil {
			continue // not a revision vbdt can read on its own: the final one is judged
		}
		missing := false // a signature value the final form does not list (parsed only then)
		for n := range doc.SignatureValues() {
			if _, ok := values[n]; !ok {
				missing = true
			}
		}
		if !missing {
			continue
		}
		sigs, _ := doc.Signatures()
		for _, s := range sigs {
			if br := fmt.Sprint(s.ByteRange); !seen[br] {
				seen[br] = true
				c := Check{Field: s.Field, DocMDP: s.DocMDP, Lock: s.Lock, SignedSize: end,
					Problem: "the signature is no longer in the document's form: a later revision removed or hid it"}
				if len(s.ByteRange) == 4 {
					c.SignedSize = s.ByteRange[2] + s.ByteRange[3]
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial asn1.RawValue
}

type attr struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// checkOne checks one signature's integrity into c and returns its signer's certificate.
func checkOne(f io.ReaderAt, size int64, s pdf.Signature, c *Check) (*x509.Certificate, error) {
	br := s.ByteRange
	if len(br) != 4 || br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || br[3] < 0 || br[2]+br[3] > size {
		return nil, fmt.Errorf("invalid /ByteRange %v", br)
	}
	c.SignedSize = br[2] + br[3]
	c.WholeFile = c.SignedSize == size
	// the gap must be exactly the /Contents hex string
	gap := make([]byte, br[2]-br[1])
	if _, err := f.ReadAt(gap, br[1]); err != nil {
		return nil, err
	}
	if gap[0] != '<' || gap[len(gap)-1] != '>' || int64(len(s.Contents))*2 != int64(len(gap)-2) {
		return nil, errors.New("the unsigned gap is not exactly the /Contents string")
	}
	if s.SubFilter == "ETSI.RFC3161" {
		return checkDocTimestamp(f, s, c)
	}
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(s.Contents, &ci); err != nil || !ci.Type.Equal(oidSignedData) {
		return nil, fmt.Errorf("the signature is not a CMS SignedData: %v", err)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("CMS: %w", err)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("CMS has %d signers, want 1", len(sd.SignerInfos))
	}
	si := sd.SignerInfos[0]
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CMS certificates: %w", err)
	}
	var ias issuerAndSerial
	if _, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil {
		return nil, errors.New("the signer is not named by issuer and serial number")
	}
	var cert *x509.Certificate
	for _, ct := range certs {
		var serial asn1.RawValue
		asn1.Unmarshal(ias.Serial.FullBytes, &serial)
		if bytes.Equal(ct.RawIssuer, ias.Issuer.FullBytes) && new(big.Int).SetBytes(serial.Bytes).Cmp(ct.SerialNumber) == 0 {
			cert = ct
		}
	}
	if cert == nil {
		return nil, errors.New("the signer's certificate is not in the signature")
	}
	c.Signer = cert.Subject.CommonName
	var h crypto.Hash
	for hh, oid := range digestOID {
		if si.DigestAlgorithm.Algorithm.Equal(oid) {
			h = hh
		}
	}
	if h == 0 {
		return nil, fmt.Errorf("digest algorithm %v is not supported", si.DigestAlgorithm.Algorithm)
	}
	digest, err := hashRanges(f, h, [4]int64{br[0], br[1], br[2], br[3]})
	if err != nil {
		return nil, err
	}
	var attrs []attr
	if _, err := asn1.UnmarshalWithParams(si.SignedAttrs.FullBytes, &attrs, "set,tag:0"); err != nil {
		return nil, fmt.Errorf("signed attributes: %w", err)
	}
	var md []byte
	for _, a := range attrs {
		if a.Type.Equal(oidMessageDigest) {
			asn1.Unmarshal(a.Values.Bytes, &md)
		}
	}
	if !bytes.Equal(md, digest) {
		return nil, errors.New("digest mismatch: the signed bytes were changed")
	}
	signed := bytes.Clone(si.SignedAttrs.FullBytes)
	signed[0] = 0x31 // signed over the SET, not the [0] IMPLICIT tag
	if err := cert.CheckSignature(x509Algorithm(si.SignatureAlgorithm.Algorithm, h), signed, si.Signature); err != nil {
		return nil, fmt.Errorf("the signature value does not verify: %w", err)
	}
	c.Level = "B-B"
	if len(si.UnsignedAttrs.FullBytes) == 0 {
		return cert, nil
	}
	var unsigned []attr
	if _, err := asn1.UnmarshalWithParams(si.UnsignedAttrs.FullBytes, &unsigned, "set,tag:1"); err != nil {
		return nil, fmt.Errorf("unsigned attributes: %w", err)
	}
	for _, a := range unsigned {
		if !a.Type.Equal(oidTimeStampToken) {
			continue
		}
		ts, err := timestamp.Parse(a.Values.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signature timestamp: %w", err)
		}
		d := ts.HashAlgorithm.New()
		d.Write(si.Signature)
		if !bytes.Equal(d.Sum(nil), ts.HashedMessage) {
			return nil, errors.New("the signature timestamp is not over this signature value")
		}
		c.Level, c.Timestamp = "B-T", ts.Time
	}
	return cert, nil
}

// checkDocTimestamp checks a document timestamp (PAdES B-LTA): an RFC 3161 token whose message
// imprint is the digest of the signed byte ranges, signed by a TSA certificate it carries.
func checkDocTimestamp(f io.ReaderAt, s pdf.Signature, c *Check) (*x509.Certificate, error) {
	var token asn1.RawValue
	if _, err := asn1.Unmarshal(s.Contents, &token); err != nil {
		return nil, fmt.Errorf("the document timestamp is not DER: %w", err)
	}
	ts, err := timestamp.Parse(token.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("document timestamp: %w", err)
	}
	if len(ts.Certificates) == 0 {
		return nil, errors.New("the document timestamp carries no certificate to verify it with")
	}
	if !ts.HashAlgorithm.Available() {
		return nil, fmt.Errorf("document timestamp: digest algorithm %v is not supported", ts.HashAlgorithm)
	}
	br := s.ByteRange
	digest, err := hashRanges(f, ts.HashAlgorithm, [4]int64{br[0], br[1], br[2], br[3]})
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(digest, ts.HashedMessage) {
		return nil, errors.New("digest mismatch: the timestamped bytes were changed")
	}
	cert := ts.Certificates[0]
	c.Signer, c.Level, c.Timestamp = cert.Subject.CommonName, "document timestamp", ts.Time
	return cert, nil
}

func x509Algorithm(oid asn1.ObjectIdentifier, h crypto.Hash) x509.SignatureAlgorithm {
	switch {
	case oid.Equal(oidRSASSAPSS):
		return map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.SHA256WithRSAPSS, crypto.SHA384: x509.SHA384WithRSAPSS, crypto.SHA512: x509.SHA512WithRSAPSS}[h]
	case oid.Equal(rsaOID[h]), oid.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}):
		return map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.SHA256WithRSA, crypto.SHA384: x509.SHA384WithRSA, crypto.SHA512: x509.SHA512WithRSA}[h]
	case oid.Equal(ecdsaOID[h]):
		return map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.ECDSAWithSHA256, crypto.SHA384: x509.ECDSAWithSHA384, crypto.SHA512: x509.ECDSAWithSHA512}[h]
	}
	return x509.UnknownSignatureAlgorithm
}
