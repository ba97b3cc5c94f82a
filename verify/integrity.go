package verify

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vbdt/vbdt/internal/cms"
	"github.com/vbdt/vbdt/internal/pdf"
)

// Check is the integrity verdict on one signature or document timestamp: does it still cover
// the bytes it signed, with a valid signature by the certificate it names. Trust, revocation
// and the analysis of later changes build on it (Verify).
type Check struct {
	Field      string `json:"field"`
	Signer     string `json:"signer"`
	Intact     bool   `json:"intact"`
	WholeFile  bool   `json:"covers_whole_file"` // the last revision: nothing after it
	SignedSize int64  `json:"signed_size"`       // end of the signed revision
	DocMDP     int    `json:"docmdp,omitempty"`
	// Lock is the signature's FieldMDP: the fields no later change may fill.
	Lock *pdf.FieldLock `json:"field_lock,omitempty"`
	// Level is B-B, or B-T when a signature timestamp covers the signature value, or "document
	// timestamp".
	Level     string    `json:"level"`
	Timestamp time.Time `json:"timestamp,omitzero"`
	Problem   string    `json:"problem,omitempty"`

	sig     pdf.Signature
	sub     SubIndication     // why it is not intact
	cert    *x509.Certificate // the signer's (or the TSA's, for a document timestamp)
	sd      *cms.SignedData
	hash    crypto.Hash
	ts      *cms.Timestamp // the signature timestamp, or the document timestamp itself
	removed bool           // a signature of an earlier revision the final form no longer lists
	// extraCerts are certificates the signature carries outside a CMS (/Cert).
	extraCerts []*x509.Certificate
	findings   []Finding
}

// DocTimestamp reports whether the check is of a document timestamp (ETSI.RFC3161).
func (c *Check) DocTimestamp() bool { return c.sig.SubFilter == "ETSI.RFC3161" }

// Certificate is the signer's certificate (the TSA's for a document timestamp), nil when none
// could be identified.
func (c *Check) Certificate() *x509.Certificate { return c.cert }

// Evidence is what long-term validation material is gathered for: a signature's signer (or a
// document timestamp's TSA) and, for a signature timestamp, its TSA, each with the
// certificates the signature carries that may complete its chain.
type Evidence struct {
	Field     string
	Signer    *x509.Certificate
	TSA       *x509.Certificate   // the signature timestamp's, nil without one
	Certs     []*x509.Certificate // carried by the CMS, the timestamp token and /Cert
	VRIKey    string              // the signature's key in a DSS's /VRI
	Time      time.Time           // the signature timestamp's time, else the claimed signing time
	Proven    bool                // Time comes from a timestamp, not from the signer's claim
	Signature bool                // false for a document timestamp
}

// Evidence returns what long-term validation material is gathered for; nil when the check has
// no signer certificate.
func (c *Check) Evidence() *Evidence {
	if c.cert == nil {
		return nil
	}
	e := &Evidence{Field: c.Field, Signer: c.cert, VRIKey: pdf.VRIKey(c.sig.Contents), Time: c.sig.M, Signature: !c.DocTimestamp()}
	if c.sd != nil {
		e.Certs = append(e.Certs, c.sd.Certificates...)
	}
	e.Certs = append(e.Certs, c.extraCerts...)
	if c.ts != nil {
		if !c.Timestamp.IsZero() {
			e.Time, e.Proven = c.Timestamp, true
		}
		if c.ts.SignedData != nil {
			e.Certs = append(e.Certs, c.ts.SignedData.Certificates...)
		}
		if e.Signature {
			e.TSA = c.ts.Signer
		}
	}
	return e
}

// CheckFile checks the integrity of every signature of the PDF at path.
func CheckFile(path string) ([]Check, error) {
	var checks []Check
	err := withChecks(path, func(_ io.ReaderAt, _ int64, c []Check) error {
		checks = c
		return nil
	})
	return checks, err
}

// withChecks opens the PDF at path, checks its signatures and hands both to fn.
func withChecks(path string, fn func(r io.ReaderAt, size int64, checks []Check) error) error {
	r, size, done, err := openSource(path)
	if err != nil {
		return err
	}
	defer done()
	checks, err := CheckReader(r, size)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return fn(r, size, checks)
}

// inMemory is the size up to which a document is read into memory before it is checked: one
// read, instead of one per object of every revision opened.
const inMemory = 8 << 20

// openSource opens the regular file at path for reading, in memory when it is small; done
// closes it.
func openSource(path string) (r io.ReaderAt, size int64, done func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	if fi.Size() > inMemory {
		return f, fi.Size(), func() { f.Close() }, nil
	}
	defer f.Close()
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, 0, nil, err
	}
	return bytes.NewReader(data), fi.Size(), func() {}, nil
}

// CheckReader checks the integrity of every signature of the PDF of size bytes in r.
func CheckReader(r io.ReaderAt, size int64) ([]Check, error) {
	doc, err := pdf.Open(io.NewSectionReader(r, 0, size), size)
	if err != nil {
		return nil, err
	}
	ends, err := pdf.RevisionEnds(r, size)
	if err != nil {
		return nil, err
	}
	dss, err := doc.DSS()
	if err != nil {
		return nil, err
	}
	return checkDoc(r, size, doc, ends, dss.Certificates())
}

// checkDoc checks every signature of doc, of size bytes in r, whose revisions end at ends;
// dssCerts are the certificates of its DSS (a timestamp's TSA certificate may be there only).
func checkDoc(r io.ReaderAt, size int64, doc *pdf.Doc, ends []int64, dssCerts []*x509.Certificate) ([]Check, error) {
	sigs, err := doc.Signatures()
	if err != nil {
		return nil, err
	}
	var out []Check
	for _, s := range sigs {
		out = append(out, checkSignature(r, size, s, dssCerts))
	}
	overlaps(out)
	removed, err := removedSignatures(r, size, doc, sigs, ends)
	if err != nil {
		return nil, err
	}
	out = append(out, removed...)
	slices.SortStableFunc(out, func(a, b Check) int { return int(a.SignedSize - b.SignedSize) })
	return out, nil
}

// CheckSignature checks the integrity of one signature of the document of size bytes in r.
func CheckSignature(r io.ReaderAt, size int64, s pdf.Signature) Check {
	return checkSignature(r, size, s, nil)
}

// checkSignature checks one signature, with extra certificates (the DSS's) to find a
// timestamp's signer among.
func checkSignature(r io.ReaderAt, size int64, s pdf.Signature, extra []*x509.Certificate) Check {
	c := Check{Field: s.Field, DocMDP: s.DocMDP, Lock: s.Lock, sig: s}
	if err := checkOne(r, size, s, extra, &c); err != nil {
		c.Problem = err.Error()
		if c.sub == "" {
			c.sub = FormatFailure
		}
	} else {
		c.Intact = true
	}
	return c
}

// overlaps fails signatures whose unsigned gaps coincide or overlap: two signature dictionaries
// claiming one signed revision, or one signature's value inside another's gap.
func overlaps(checks []Check) {
	gap := func(c Check) (int64, int64, bool) {
		br := c.sig.ByteRange
		if len(br) != 4 || !c.Intact {
			return 0, 0, false
		}
		return br[1], br[2], true
	}
	for i := range checks {
		a1, a2, ok := gap(checks[i])
		if !ok {
			continue
		}
		for j := range checks {
			b1, b2, ok := gap(checks[j])
			if i == j || !ok || a2 <= b1 || b2 <= a1 {
				continue
			}
			checks[i].Intact, checks[i].sub = false, FormatFailure
			checks[i].Problem = fmt.Sprintf("its /ByteRange gap overlaps that of signature %s: two signature dictionaries claim the same signed bytes", checks[j].Field)
		}
	}
}

// removedSignatures finds the signatures of earlier revisions that the final document's form no
// longer lists — removed, or hidden by a later revision — and reports each as broken: what was
// signed is no longer what the document shows.
func removedSignatures(r io.ReaderAt, size int64, last *pdf.Doc, final []pdf.Signature, ends []int64) ([]Check, error) {
	seen := map[string]bool{}
	for _, s := range final {
		seen[fmt.Sprint(s.ByteRange)] = true
	}
	values := last.SignatureValues()
	signed, all, err := signedEnds(r, size)
	if err != nil {
		return nil, err
	}
	var out []Check
	for _, end := range ends {
		if end >= size || (!all && !signedAt(signed, seen, end)) {
			continue // no signature in the file signed this revision, but those the form lists
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
				c := Check{Field: s.Field, DocMDP: s.DocMDP, Lock: s.Lock, SignedSize: end, sig: s, removed: true,
					sub:     FormatFailure,
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

// signedEnds finds, in the raw bytes, every literal /ByteRange of the file (a valid signature's
// dictionary cannot be compressed: its /Contents must be the bytes of the gap) and the ranges
// they give; all is true when one is not a literal array, and every revision must be looked at.
func signedEnds(r io.ReaderAt, size int64) (ranges [][4]int64, all bool, err error) {
	const key = "/ByteRange"
	buf := make([]byte, min(1<<20, size))
	for off := int64(0); off < size; {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n == 0 && err != nil {
			return nil, false, err
		}
		chunk := buf[:n]
		for i := 0; ; {
			j := bytes.Index(chunk[i:], []byte(key))
			if j < 0 {
				break
			}
			i += j + len(key)
			rest := bytes.TrimLeft(chunk[i:min(len(chunk), i+120)], " \t\r\n\f\x00")
			if len(rest) == 0 || rest[0] != '[' {
				return nil, true, nil
			}
			var br [4]int64
			if k, _ := fmt.Sscan(string(rest[1:min(len(rest), 100)]), &br[0], &br[1], &br[2], &br[3]); k == 4 {
				ranges = append(ranges, br)
			} else if !bytes.Contains(rest, []byte("]")) {
				return nil, true, nil // cut by the read: look at everything
			}
		}
		if off+int64(n) >= size {
			break
		}
		off += int64(n) - 128 // a key and its array may straddle two reads
	}
	return ranges, false, nil
}

// signedAt reports whether a byte range the final form does not list (seen) signed the
// revision that ends at end (after its %%EOF and end of line).
func signedAt(ranges [][4]int64, seen map[string]bool, end int64) bool {
	for _, br := range ranges {
		if e := br[2] + br[3]; e <= end && e >= end-2 && !seen[fmt.Sprint(br[:])] {
			return true
		}
	}
	return false
}

// failure is an integrity failure with its ETSI sub-indication.
func failure(c *Check, sub SubIndication, format string, a ...any) error {
	c.sub = sub
	return fmt.Errorf(format, a...)
}

// checkOne checks one signature's integrity into c: the byte range, then the CMS.
func checkOne(f io.ReaderAt, size int64, s pdf.Signature, extra []*x509.Certificate, c *Check) error {
	br := s.ByteRange
	switch {
	case s.BadByteRange || len(br) != 4:
		return failure(c, FormatFailure, "the /ByteRange is not four integers: %v", br)
	case br[0] != 0:
		return failure(c, FormatFailure, "the /ByteRange %v does not start at the beginning of the file", br)
	case br[1] <= 0 || br[2] <= br[1] || br[3] <= 0:
		return failure(c, FormatFailure, "the /ByteRange %v is not two ranges around a gap", br)
	case br[2]+br[3] > size:
		return failure(c, FormatFailure, "the /ByteRange %v points past the end of the file (%d bytes): the file was truncated or the range forged", br, size)
	}
	c.SignedSize = br[2] + br[3]
	c.WholeFile = c.SignedSize == size
	if ok, err := revisionBoundary(f, c.SignedSize); err != nil {
		return err
	} else if !ok {
		return failure(c, FormatFailure, "the signed bytes end at offset %d, which is not the end of a revision (%%%%EOF): part of a revision is not covered", c.SignedSize)
	}
	if !s.ContentsHex {
		return failure(c, FormatFailure, "the signature value (/Contents) is not a hexadecimal string")
	}
	// the gap must be exactly this dictionary's /Contents string: not another object's bytes
	if br[2]-br[1] > 4<<20 {
		return failure(c, FormatFailure, "the /ByteRange gap is %d bytes: larger than any signature value", br[2]-br[1])
	}
	gap := make([]byte, br[2]-br[1])
	if _, err := f.ReadAt(gap, br[1]); err != nil {
		return err
	}
	if len(gap) < 2 || gap[0] != '<' || gap[len(gap)-1] != '>' {
		return failure(c, FormatFailure, "the /ByteRange gap is not a hexadecimal string: bytes outside /Contents are unsigned")
	}
	inGap, err := hex.DecodeString(strings.Map(dropSpace, string(gap[1:len(gap)-1])))
	if err != nil || !bytes.Equal(inGap, s.Contents) || 2*len(inGap) != len(gap)-2 {
		return failure(c, FormatFailure, "the /ByteRange gap is not this signature's /Contents: the range points at other bytes")
	}
	if len(bytes.TrimRight(s.Contents, "\x00")) == 0 {
		return failure(c, FormatFailure, "the signature value (/Contents) is empty")
	}
	ranges := [4]int64{br[0], br[1], br[2], br[3]}
	switch s.SubFilter {
	case "ETSI.RFC3161":
		return checkDocTimestamp(f, ranges, s, extra, c)
	case "adbe.x509.rsa_sha1":
		return checkRSASHA1(f, ranges, s, c)
	case "adbe.pkcs7.detached", "ETSI.CAdES.detached", "adbe.pkcs7.sha1":
	default:
		return failure(c, FormatFailure, "signature format /SubFilter /%s is not supported (PAdES: ETSI.CAdES.detached, adbe.pkcs7.detached)", s.SubFilter)
	}
	sd, err := cms.Parse(s.Contents)
	if err != nil {
		return failure(c, FormatFailure, "the signature value is not a CMS SignedData: %v", err)
	}
	c.sd = sd
	for _, fd := range sd.Findings {
		c.findings = append(c.findings, Finding{Severity: Info, Code: "cms-" + fd.Code, Text: "CMS tolerated: " + fd.Text})
	}
	if len(sd.Signers) != 1 {
		return failure(c, FormatFailure, "the CMS has %d signers; a PDF signature has exactly one", len(sd.Signers))
	}
	si := sd.Signers[0]
	for _, fd := range si.Findings {
		c.findings = append(c.findings, Finding{Severity: Info, Code: "cms-" + fd.Code, Text: "CMS tolerated: " + fd.Text})
	}
	cert := sd.SignerCertificate(si, nil)
	if cert == nil {
		return failure(c, FormatFailure, "the signer's certificate is not in the signature (PAdES requires it there)")
	}
	c.cert, c.Signer = cert, cert.Subject.CommonName
	h, err := si.Hash()
	if err != nil {
		return failure(c, FormatFailure, "%v", err)
	}
	c.hash = h
	digest, err := pdf.HashRanges(f, h, ranges)
	if err != nil {
		return err
	}
	if s.SubFilter == "adbe.pkcs7.sha1" { // the signed content is the SHA-1 of the ranges
		sha1, err := pdf.HashRanges(f, crypto.SHA1, ranges)
		if err != nil {
			return err
		}
		if !bytes.Equal(sd.Content, sha1) {
			return failure(c, HashFailure, "digest mismatch: the signed bytes were changed")
		}
		d := h.New()
		d.Write(sd.Content)
		digest = d.Sum(nil)
	} else if sd.Content != nil {
		return failure(c, FormatFailure, "the CMS encapsulates content: a PDF signature is detached")
	}
	if err := si.Verify(cert, digest); err != nil {
		switch {
		case errors.Is(err, cms.ErrDigestMismatch):
			return failure(c, HashFailure, "digest mismatch: the signed bytes were changed")
		case errors.Is(err, cms.ErrSignature):
			return failure(c, SigCryptoFailure, "the signature value does not verify with the signer's certificate: %v", err)
		}
		return failure(c, FormatFailure, "%v", err)
	}
	present, err := si.CheckSigningCertificate(cert)
	if err != nil {
		return failure(c, FormatFailure, "the signing-certificate attribute does not name the certificate that signed: %v", err)
	}
	if !present && s.SubFilter == "ETSI.CAdES.detached" {
		c.findings = append(c.findings, Finding{Severity: Warning, Code: "no-signing-certificate-attribute",
			Text: "the signature does not bind its certificate (no ESS signing-certificate attribute), which PAdES baseline requires"})
	}
	c.Level = "B-B"
	for _, token := range si.TimestampTokens() {
		ts, err := cms.ParseTimestamp(token, append(sd.Certificates, extra...))
		if ts != nil && !ts.Covers(si.Signature) {
			return failure(c, HashFailure, "the signature timestamp is not over this signature value: copied from another signature")
		}
		switch {
		case errors.Is(err, cms.ErrNoCertificate):
			c.findings = append(c.findings, Finding{Severity: Warning, Code: "timestamp-unverifiable",
				Text: "the signature timestamp carries no certificate of its authority, and the document has none either: its time proves nothing"})
			c.Level = "B-T"
			continue
		case err != nil:
			return failure(c, FormatFailure, "the signature timestamp is broken: %v", err)
		}
		if c.ts == nil || ts.Info.GenTime.Before(c.ts.Info.GenTime) {
			c.ts = ts
		}
		c.Level, c.Timestamp = "B-T", c.ts.Info.GenTime
	}
	return nil
}

func dropSpace(r rune) rune {
	switch r {
	case ' ', '\t', '\r', '\n', '\f', 0:
		return -1
	}
	return r
}

// revisionBoundary reports whether offset end is the end of a revision: just after a %%EOF
// marker and at most its end of line.
func revisionBoundary(f io.ReaderAt, end int64) (bool, error) {
	buf := make([]byte, min(end, 8))
	if _, err := f.ReadAt(buf, end-int64(len(buf))); err != nil {
		return false, err
	}
	return bytes.HasSuffix(bytes.TrimRight(buf, "\r\n"), []byte("%%EOF")), nil
}

// checkRSASHA1 checks a legacy adbe.x509.rsa_sha1 signature (PDF 32000-1 §12.8.3.2, deprecated
// by PDF 2.0): /Contents is a DER OCTET STRING holding a PKCS#1 v1.5 RSA signature of the byte
// ranges' digest, and /Cert the signer's certificate first.
func checkRSASHA1(f io.ReaderAt, ranges [4]int64, s pdf.Signature, c *Check) error {
	if len(s.Cert) == 0 {
		return failure(c, FormatFailure, "the adbe.x509.rsa_sha1 signature has no /Cert")
	}
	cert, err := x509.ParseCertificate(s.Cert[0])
	if err != nil {
		return failure(c, FormatFailure, "the signer's certificate (/Cert) cannot be read: %v", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return failure(c, FormatFailure, "an adbe.x509.rsa_sha1 signature needs an RSA certificate")
	}
	var value []byte
	if rest, err := asn1.Unmarshal(s.Contents, &value); err != nil || len(bytes.TrimRight(rest, "\x00")) != 0 {
		return failure(c, FormatFailure, "the signature value is not a DER OCTET STRING")
	}
	c.cert, c.Signer = cert, cert.Subject.CommonName
	for _, extra := range s.Cert[1:] {
		if ec, err := x509.ParseCertificate(extra); err == nil {
			c.extraCerts = append(c.extraCerts, ec)
		}
	}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		digest, err := pdf.HashRanges(f, h, ranges)
		if err != nil {
			return err
		}
		if rsa.VerifyPKCS1v15(pub, h, digest, value) == nil {
			c.hash, c.Level = h, "B-B"
			c.findings = append(c.findings, Finding{Severity: Warning, Code: "legacy-format",
				Text: "adbe.x509.rsa_sha1 is a legacy signature format (deprecated by PDF 2.0, not PAdES)"})
			return nil
		}
	}
	return failure(c, HashFailure, "the signature value does not verify over the signed bytes: they were changed, or the value is not the signer's")
}

// checkDocTimestamp checks a document timestamp (PAdES B-LTA): an RFC 3161 token whose message
// imprint is the digest of the signed byte ranges, signed by the TSA certificate it carries.
func checkDocTimestamp(f io.ReaderAt, ranges [4]int64, s pdf.Signature, extra []*x509.Certificate, c *Check) error {
	ts, err := cms.ParseTimestamp(s.Contents, extra)
	if ts == nil {
		return failure(c, FormatFailure, "the document timestamp is broken: %v", err)
	}
	c.Level, c.Timestamp, c.hash = "document timestamp", ts.Info.GenTime, ts.Info.Hash
	digest, derr := pdf.HashRanges(f, ts.Info.Hash, ranges)
	if derr != nil {
		return derr
	}
	if !bytes.Equal(digest, ts.Info.HashedMessage) {
		return failure(c, HashFailure, "digest mismatch: the document timestamp is not over this revision (changed, or copied from another file)")
	}
	switch {
	case errors.Is(err, cms.ErrNoCertificate):
		return failure(c, NoSigningCertificateFound, "the document timestamp carries no certificate of its authority, and the document has none either: its signature cannot be checked")
	case err != nil:
		return failure(c, FormatFailure, "the document timestamp is broken: %v", err)
	}
	c.ts, c.cert = ts, ts.Signer
	c.Signer = ts.Signer.Subject.CommonName
	return nil
}

// String describes the check in a line.
func (c Check) String() string {
	if c.Intact {
		return fmt.Sprintf("%s: intact, %s, signed %d bytes", c.Field, c.Level, c.SignedSize)
	}
	return fmt.Sprintf("%s: broken (%s)", c.Field, c.Problem)
}
