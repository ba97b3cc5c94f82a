// Package verify is the one judge of PDF signatures in vbdt: integrity of every signature and
// document timestamp, the certificate path at the right time, revocation, and a whitelist
// analysis of every change made after each signature, with ETSI EN 319 102-1 indications and
// the Decree 30 profile. Signing and number stamping call it to re-check what they write.
package verify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/pki"
)

// Options configure a verification.
type Options struct {
	// Anchors are the trusted roots the user configured (vbdt trust add, --trust, trust.anchors).
	// The pinned Vietnamese national roots are trusted by fingerprint whatever this says.
	Anchors []*x509.Certificate
	// SystemRoots also trusts the operating system's roots.
	SystemRoots bool
	// Offline forbids fetching revocation data and missing intermediates over the network.
	Offline bool
	// Fetcher gets OCSP answers, CRLs and certificates when online; share one across the
	// documents of a run (default: a new one per document, 10 s timeout).
	Fetcher *Fetcher
	// Profile "nd30" adds the Decree 30 checks of an issued document.
	Profile string
	// Strictness chooses the strict (default) or Acrobat reading of DocMDP.
	Strictness Strictness
	// MinRSABits is the smallest RSA key not reported weak (default 2048); AllowSHA1 accepts
	// SHA-1 digests.
	MinRSABits int
	AllowSHA1  bool
	// Now is the validation time (default time.Now).
	Now time.Time
}

// ProfileND30 is the Decree 30 profile of an issued document.
const ProfileND30 = "nd30"

// File verifies the PDF at path.
func File(ctx context.Context, path string, o Options) (*Report, error) {
	r, size, done, err := openSource(path)
	if err != nil {
		return nil, err
	}
	defer done()
	rep, err := Reader(ctx, r, size, o)
	if err != nil {
		return nil, err
	}
	rep.File = path
	return rep, nil
}

// Reader verifies the PDF of size bytes in r. An error means the document could not be read at
// all; everything else is in the report.
func Reader(ctx context.Context, r io.ReaderAt, size int64, o Options) (rep *Report, err error) {
	defer func() { // hostile input must not take a batch down: the document is unreadable
		if p := recover(); p != nil {
			rep, err = nil, fmt.Errorf("%w: %v", pdf.ErrDamaged, p)
		}
	}()
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.MinRSABits == 0 {
		o.MinRSABits = 2048
	}
	if o.Fetcher == nil {
		o.Fetcher = NewFetcher(nil)
	}
	fileSize := size
	doc, err := pdf.Open(io.NewSectionReader(r, 0, size), size)
	var tail *Finding
	if errors.Is(err, pdf.ErrDamaged) {
		// a file cut or damaged after its last complete revision: judge what is complete,
		// and fail the document for the rest
		if doc, size, tail = lastComplete(r, size); doc == nil {
			return nil, err
		}
	} else if err != nil {
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
	dssCerts := dss.Certificates()
	checks, err := checkDoc(r, size, doc, ends, dssCerts)
	if err != nil {
		return nil, err
	}
	rep = &Report{Size: fileSize, Revisions: len(ends), Pages: doc.PageCount(), Profile: o.Profile,
		ValidatedAt: o.Now, Online: !o.Offline, Signatures: []Signature{}}
	reports, err := AnalyzeChecks(r, size, checks, o.Strictness)
	if err != nil {
		return nil, err
	}
	v := &validator{ctx: ctx, o: o, dss: dss, anchors: o.Anchors, certs: dssCerts}
	v.material(checks)
	for i := range checks {
		rep.Signatures = append(rep.Signatures, v.signature(&checks[i], reports[i], ends, checks))
	}
	if tail != nil {
		rep.Findings = append(rep.Findings, *tail)
	}
	if o.Profile == ProfileND30 {
		rep.Findings = append(rep.Findings, nd30Profile(r, size, rep.Signatures, checks)...)
	}
	rep.decide()
	return rep, nil
}

const codeDamagedTail = "damaged-tail"

// lastComplete opens the document as its last complete revision ends, when the bytes after it
// cannot be read (a truncated or damaged update): the finding fails the document.
func lastComplete(r io.ReaderAt, size int64) (*pdf.Doc, int64, *Finding) {
	ends, err := pdf.RevisionEnds(r, size)
	if err != nil {
		return nil, 0, nil
	}
	for i := len(ends) - 1; i >= 0; i-- {
		end := ends[i]
		if end >= size {
			continue
		}
		doc, err := pdf.Open(io.NewSectionReader(r, 0, end), end)
		if err != nil {
			continue
		}
		return doc, end, &Finding{Severity: Failure, Code: codeDamagedTail, Text: fmt.Sprintf(
			"the %d bytes after the last complete revision (which ends at %d) cannot be read: an update was cut off or damaged, and whatever it signed or changed is unknown", size-end, end)}
	}
	return nil, 0, nil
}

// decide sets the document's indication: the worst of its signatures', and failed when the
// profile fails; a document without signatures is not a signed document.
func (rep *Report) decide() {
	rep.Indication = TotalPassed
	if len(rep.Signatures) == 0 {
		rep.Indication, rep.SubIndication, rep.Reason = Indeterminate, NoSignatureFound, "the document has no signature"
	}
	for _, s := range rep.Signatures {
		if s.Indication.rank() > rep.Indication.rank() {
			rep.Indication, rep.SubIndication = s.Indication, s.SubIndication
			rep.Reason = fmt.Sprintf("%s %s: %s", s.Kind, s.Field, s.Reason)
		}
	}
	for _, f := range rep.Findings {
		if f.Severity == Failure && rep.Indication != TotalFailed {
			rep.Indication, rep.SubIndication, rep.Reason = TotalFailed, SigConstraintsFailure, f.Text
			if f.Code == codeDamagedTail {
				rep.SubIndication = FormatFailure
			}
		}
	}
}

// signature builds the report on one signature from its integrity check and change report.
func (v *validator) signature(c *Check, changes ChangeReport, ends []int64, all []Check) Signature {
	s := Signature{Field: c.Field, Kind: "signature", SubFilter: c.sig.SubFilter, SignedSize: c.SignedSize,
		CoversWholeFile: c.WholeFile, Level: c.Level, DocMDP: c.DocMDP, FieldLock: c.Lock,
		Claimed: Claimed{Name: c.sig.Name, Reason: c.sig.Reason, Location: c.sig.Location,
			ContactInfo: c.sig.ContactInfo, Time: c.sig.M},
		Integrity: Result{OK: c.Intact, Problem: c.Problem}, Findings: slices.Clone(c.findings)}
	if c.DocTimestamp() {
		s.Kind = "document timestamp"
	}
	for i, e := range ends {
		if e >= c.SignedSize {
			s.Revision = i + 1
			break
		}
	}
	if c.cert != nil {
		s.Signer = certInfo(c.cert)
	}
	s.Role = roleOf(c, all)
	s.Changes = Changes{Worst: changes.Worst, Allowed: changes.Allowed, Items: changes.Problems}
	if c.Intact && !c.WholeFile && changes.Worst == ModNone {
		s.Findings = append(s.Findings, Finding{Severity: Warning, Code: "unreached-bytes",
			Text: "bytes follow the signed revision that the document does not use (an update its cross-reference does not reach): what a viewer shows is what was signed, but the file is not only that"})
	}
	if !c.Intact {
		s.Indication, s.SubIndication, s.Reason = TotalFailed, c.sub, c.Problem
		if c.sub == NoSigningCertificateFound {
			s.Indication = Indeterminate
		}
		s.Trust.Problem, s.Revocation.Status = "not checked: the signature is broken", "unknown"
		return s
	}
	v.validate(c, &s, all)
	if !changes.Allowed && s.Indication != TotalFailed {
		s.Indication, s.SubIndication = TotalFailed, SigConstraintsFailure
		s.Reason = fmt.Sprintf("the document was changed after this signature in a way it does not permit (%s)", changes.Worst)
		if len(changes.Problems) > 0 {
			s.Reason += ": " + changes.Problems[0]
		}
	}
	s.Level = v.ltvLevel(c, &s, all)
	return s
}

// roleOf is the Decree 30 role of a signature: by the field name vbdt gives it, else by its
// place — the certification is the approver's, a later signature the organization's.
func roleOf(c *Check, all []Check) nd30.Role {
	if c.DocTimestamp() {
		return ""
	}
	if r := nd30.RoleOfField(c.Field); r != "" {
		return r
	}
	if c.DocMDP != 0 {
		return nd30.Approver
	}
	for _, o := range all {
		if o.DocMDP != 0 && o.SignedSize < c.SignedSize {
			return nd30.Issuer
		}
	}
	return ""
}

// certInfo summarizes a certificate for the report.
func certInfo(c *x509.Certificate) *CertInfo {
	kind, bits := pki.KeyTypeOf(c.PublicKey)
	if kind == "RSA" {
		kind = fmt.Sprintf("RSA-%d", bits)
	}
	return &CertInfo{Subject: pki.FormatName(c.RawSubject), Issuer: pki.FormatName(c.RawIssuer),
		Serial: fmt.Sprintf("%X", c.SerialNumber), NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		SHA256: pki.Fingerprint(c), Key: kind,
		UID: pki.NameAttr(c.Subject, oidUID)}
}

// RevisionEnd is where revision n (1-based) of the document of size bytes in r ends: its first
// end bytes are exactly what a signature of that revision signed.
func RevisionEnd(r io.ReaderAt, size int64, n int) (int64, error) {
	ends, err := pdf.RevisionEnds(r, size)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > len(ends) {
		return 0, fmt.Errorf("there is no revision %d: the document has %d", n, len(ends))
	}
	return ends[n-1], nil
}
