package verify

import (
	"bytes"
	"crypto"
	"crypto/x509"
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

	sig      pdf.Signature
	sub      SubIndication     // why it is not intact
	cert     *x509.Certificate // the signer's (or the TSA's, for a document timestamp)
	sd       *cms.SignedData
	hash     crypto.Hash
	ts       *cms.Timestamp // the signature timestamp, or the document timestamp itself
	removed  bool           // a signature of an earlier revision the final form no longer lists
	findings []Finding
}

// DocTimestamp reports whether the check is of a document timestamp (ETSI.RFC3161).
func (c *Check) DocTimestamp() bool { return c.sig.SubFilter == "ETSI.RFC3161" }

// Certificate is the signer's certificate (the TSA's for a document timestamp), nil when none
// could be identified.
func (c *Check) Certificate() *x509.Certificate { return c.cert }

// CheckFile checks the integrity of every signature of the PDF at path.
func CheckFile(path string) ([]Check, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	checks, err := CheckReader(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return checks, nil
}

// CheckReader checks the integrity of every signature of the PDF of size bytes in r.
func CheckReader(r io.ReaderAt, size int64) ([]Check, error) {
	doc, err := pdf.Open(io.NewSectionReader(r, 0, size), size)
	if err != nil {
		return nil, err
	}
	return checkDoc(r, size, doc)
}

func checkDoc(r io.ReaderAt, size int64, doc *pdf.Doc) ([]Check, error) {
	sigs, err := doc.Signatures()
	if err != nil {
		return nil, err
	}
	var out []Check
	for _, s := range sigs {
		out = append(out, CheckSignature(r, size, s))
	}
	overlaps(out)
	removed, err := removedSignatures(r, size, doc, sigs)
	if err != nil {
		return nil, err
	}
	out = append(out, removed...)
	slices.SortStableFunc(out, func(a, b Check) int { return int(a.SignedSize - b.SignedSize) })
	return out, nil
}

// CheckSignature checks the integrity of one signature of the document of size bytes in r.
func CheckSignature(r io.ReaderAt, size int64, s pdf.Signature) Check {
	c := Check{Field: s.Field, DocMDP: s.DocMDP, Lock: s.Lock, sig: s}
	if err := checkOne(r, size, s, &c); err != nil {
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

// failure is an integrity failure with its ETSI sub-indication.
func failure(c *Check, sub SubIndication, format string, a ...any) error {
	c.sub = sub
	return fmt.Errorf(format, a...)
}

// checkOne checks one signature's integrity into c: the byte range, then the CMS.
func checkOne(f io.ReaderAt, size int64, s pdf.Signature, c *Check) error {
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
		return checkDocTimestamp(f, ranges, s, c)
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
		ts, err := cms.ParseTimestamp(token)
		if err != nil {
			return failure(c, FormatFailure, "the signature timestamp is broken: %v", err)
		}
		if !ts.Covers(si.Signature) {
			return failure(c, HashFailure, "the signature timestamp is not over this signature value: copied from another signature")
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

// checkDocTimestamp checks a document timestamp (PAdES B-LTA): an RFC 3161 token whose message
// imprint is the digest of the signed byte ranges, signed by the TSA certificate it carries.
func checkDocTimestamp(f io.ReaderAt, ranges [4]int64, s pdf.Signature, c *Check) error {
	ts, err := cms.ParseTimestamp(s.Contents)
	if err != nil {
		return failure(c, FormatFailure, "the document timestamp is broken: %v", err)
	}
	c.ts, c.cert, c.hash = ts, ts.Signer, ts.Info.Hash
	c.Signer, c.Level, c.Timestamp = ts.Signer.Subject.CommonName, "document timestamp", ts.Info.GenTime
	digest, err := pdf.HashRanges(f, ts.Info.Hash, ranges)
	if err != nil {
		return err
	}
	if !bytes.Equal(digest, ts.Info.HashedMessage) {
		return failure(c, HashFailure, "digest mismatch: the document timestamp is not over this revision (changed, or copied from another file)")
	}
	return nil
}

// String describes the check in a line.
func (c Check) String() string {
	if c.Intact {
		return fmt.Sprintf("%s: intact, %s, signed %d bytes", c.Field, c.Level, c.SignedSize)
	}
	return fmt.Sprintf("%s: broken (%s)", c.Field, c.Problem)
}
