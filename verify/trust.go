package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vbdt/vbdt/internal/cms"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/pki"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	// oidAdobeRevocation is Adobe's revocation archival signed attribute (PDF 32000-1 §12.8.3.3.2).
	oidAdobeRevocation = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}
)

// validator holds what one document offers to validate its signatures: every certificate it
// carries, its revocation data, and the trust anchors.
type validator struct {
	ctx     context.Context
	o       Options
	dss     *pdf.DSS
	anchors []*x509.Certificate
	certs   []*x509.Certificate // from the CMS, the DSS and timestamp tokens
	ocsps   []revData
	crls    []revData
	roots   *x509.CertPool
	kind    map[string]string // fingerprint of a trusted root: "pinned", "configured", "system"
}

// revData is a piece of revocation data and where it came from.
type revData struct {
	der    []byte
	source string
}

// material gathers the document's certificates (v.certs starts with its DSS's) and revocation data and the trusted roots: the
// configured anchors, the system's when asked, and any certificate the document carries whose
// fingerprint is a pinned national root.
func (v *validator) material(checks []Check) {
	for _, der := range v.dss.OCSPs {
		v.ocsps = append(v.ocsps, revData{der, "DSS OCSP"})
	}
	for _, der := range v.dss.CRLs {
		v.crls = append(v.crls, revData{der, "DSS CRL"})
	}
	for _, c := range checks {
		v.certs = append(v.certs, c.extraCerts...)
		for _, sd := range []*cms.SignedData{c.sd, tsData(c.ts)} {
			if sd == nil {
				continue
			}
			v.certs = append(v.certs, sd.Certificates...)
			for _, der := range sd.CRLs {
				v.crls = append(v.crls, revData{der, "CMS CRL"})
			}
		}
		if c.sd != nil && len(c.sd.Signers) == 1 {
			v.adobeRevocation(c.sd.Signers[0])
		}
	}
	v.roots, v.kind = x509.NewCertPool(), map[string]string{}
	if v.o.SystemRoots {
		if sys, err := x509.SystemCertPool(); err == nil {
			v.roots = sys
		}
	}
	pinned := pki.VietnamRoots()
	for _, c := range append(append([]*x509.Certificate(nil), v.anchors...), v.certs...) {
		fp := pki.Fingerprint(c)
		for _, p := range pinned {
			if p.SHA256 == fp {
				v.roots.AddCert(c)
				v.kind[fp] = "pinned"
			}
		}
	}
	for _, a := range v.anchors {
		if fp := pki.Fingerprint(a); v.kind[fp] == "" {
			v.roots.AddCert(a)
			v.kind[fp] = "configured"
		}
	}
}

func tsData(ts *cms.Timestamp) *cms.SignedData {
	if ts == nil {
		return nil
	}
	return ts.SignedData
}

// adobeRevocation reads Adobe's RevocationInfoArchival attribute: { [0] CRLs, [1] OCSP
// responses, [2] other }.
func (v *validator) adobeRevocation(si *cms.SignerInfo) {
	a, ok := si.Attribute(oidAdobeRevocation)
	if !ok || len(a.Values) == 0 {
		return
	}
	in := cryptobyte.String(a.Values[0])
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return
	}
	for !seq.Empty() {
		var field cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&field, &tag) {
			return
		}
		var list cryptobyte.String
		if !field.ReadASN1(&list, cbasn1.SEQUENCE) {
			continue
		}
		for !list.Empty() {
			var item cryptobyte.String
			var itemTag cbasn1.Tag
			if !list.ReadAnyASN1Element(&item, &itemTag) {
				break
			}
			switch tag {
			case cbasn1.Tag(0).Constructed().ContextSpecific():
				v.crls = append(v.crls, revData{item, "Adobe revocation archival CRL"})
			case cbasn1.Tag(1).Constructed().ContextSpecific():
				v.ocsps = append(v.ocsps, revData{item, "Adobe revocation archival OCSP"})
			}
		}
	}
}

// validate judges a signature whose integrity holds: algorithms, the time it is validated at,
// the certificate path at that time, key usage and revocation.
func (v *validator) validate(c *Check, s *Signature, all []Check) {
	s.Indication = TotalPassed
	for _, w := range v.weak(c) {
		s.Findings = append(s.Findings, Finding{Severity: Warning, Code: "weak-algorithm", Text: w})
		s.judge(Indeterminate, CryptoConstraintsNoPOE, w)
	}
	at, source := v.o.Now, "validation time"
	switch {
	case c.DocTimestamp():
		at, source = c.ts.Info.GenTime, "document timestamp"
		s.Timestamp = &TimestampInfo{Time: at, TSA: certInfo(c.ts.Signer), Trusted: true}
	case c.ts != nil:
		ti := &TimestampInfo{Time: c.ts.Info.GenTime, TSA: certInfo(c.ts.Signer)}
		s.Timestamp = ti
		if _, tr, sub := v.path(c.ts.Signer, c.ts.Info.GenTime, false); sub != "" {
			ti.Problem = "the time-stamping authority is not trusted: " + tr.Problem
			s.Findings = append(s.Findings, Finding{Severity: Warning, Code: "timestamp-untrusted",
				Text: "the signature timestamp's authority is not trusted, so its time proves nothing: " + tr.Problem})
		} else {
			ti.Trusted = true
			at, source = ti.Time, "signature timestamp"
		}
	}
	if source == "validation time" && !c.sig.M.IsZero() {
		at, source = c.sig.M, "claimed signing time (unproven)"
		s.Findings = append(s.Findings, Finding{Severity: Warning, Code: "time-unproven",
			Text: "no trusted timestamp: the certificate is checked at the time the signature claims (/M), which nothing proves"})
	}
	if source == "signature timestamp" && !c.sig.M.IsZero() && c.sig.M.After(at.Add(10*time.Minute)) {
		s.Findings = append(s.Findings, Finding{Severity: Warning, Code: "claimed-after-timestamp",
			Text: fmt.Sprintf("the claimed signing time %s is after the timestamp %s", c.sig.M.Format(time.RFC3339), at.Format(time.RFC3339))})
	}
	s.Time, s.TimeSource = at, source
	proven := source == "signature timestamp" || source == "document timestamp"
	cert := c.cert
	switch {
	case at.After(cert.NotAfter):
		if source == "validation time" {
			s.judge(Indeterminate, OutOfBoundsNoPOE, fmt.Sprintf("the certificate expired on %s and nothing proves the signature was made before", cert.NotAfter.Format(time.DateOnly)))
		} else {
			s.judge(TotalFailed, Expired, fmt.Sprintf("the certificate had expired (%s) at the signing time %s (%s)", cert.NotAfter.Format(time.DateOnly), at.Format(time.RFC3339), source))
		}
	case at.Before(cert.NotBefore):
		s.judge(Indeterminate, NotYetValid, fmt.Sprintf("the certificate was not yet valid (from %s) at the signing time %s (%s)", cert.NotBefore.Format(time.DateOnly), at.Format(time.RFC3339), source))
	}
	// the path is built at a time the certificate was valid, so that its expiry, judged above,
	// does not hide where it leads
	pathAt := at
	if pathAt.After(cert.NotAfter) || pathAt.Before(cert.NotBefore) {
		pathAt = cert.NotBefore.Add(cert.NotAfter.Sub(cert.NotBefore) / 2)
	}
	chain, trust, sub := v.path(cert, pathAt, !c.DocTimestamp())
	s.Trust = trust
	if sub != "" {
		s.judge(Indeterminate, sub, trust.Problem)
	}
	// revocation counts up to the time a timestamp proves; a time the signer only claims proves
	// nothing, so the status now is what counts (an old "good" answer must not vouch for a
	// backdated /M)
	revAt := at
	if !proven {
		revAt = v.o.Now
	}
	s.Revocation = v.revocation(chain, revAt)
	// the level is about what the document carries: answers that speak for the signing time
	embedded := s.Revocation
	if revAt != at {
		embedded = v.revocation(chain, at)
	}
	s.ltvMaterial = strings.HasPrefix(embedded.Source, "DSS") || (embedded.Status == "not required" && len(v.dss.Certs) > 0)
	if len(chain) < 2 && !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
		s.Revocation = Revocation{Status: "unknown", Problem: "the certificate's issuer is not known: its revocation cannot be checked"}
	}
	switch rv := s.Revocation; {
	case rv.Status == "revoked" && !rv.Revoked.After(at):
		s.judge(TotalFailed, Revoked, fmt.Sprintf("the certificate was revoked on %s, before the signing time (%s)", rv.Revoked.Format(time.RFC3339), source))
	case rv.Status == "revoked" && !proven:
		s.judge(Indeterminate, RevokedNoPOE, fmt.Sprintf("the certificate was revoked on %s and nothing proves the signature was made before", rv.Revoked.Format(time.RFC3339)))
	case rv.Status == "revoked":
		s.Findings = append(s.Findings, Finding{Severity: Warning, Code: "revoked-later",
			Text: fmt.Sprintf("the certificate was revoked on %s, after the timestamp proves the signature existed", rv.Revoked.Format(time.RFC3339))})
	case rv.Status == "unknown":
		s.judge(Indeterminate, TryLater, "the certificate's revocation status is unknown: "+rv.Problem)
	}
}

// judge lowers the signature's indication to ind, if that is worse, with its reason.
func (s *Signature) judge(ind Indication, sub SubIndication, reason string) {
	if ind.rank() > s.Indication.rank() {
		s.Indication, s.SubIndication, s.Reason = ind, sub, reason
	}
}

// weak lists what the algorithm policy reports about a signature.
func (v *validator) weak(c *Check) []string {
	var out []string
	if c.hash.String() == "SHA-1" && !v.o.AllowSHA1 {
		out = append(out, "the signature uses SHA-1, which is no longer collision resistant")
	}
	switch k := c.cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < v.o.MinRSABits {
			out = append(out, fmt.Sprintf("the signer's RSA key has %d bits (fewer than %d)", k.N.BitLen(), v.o.MinRSABits))
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize < 256 {
			out = append(out, fmt.Sprintf("the signer's ECDSA key has %d bits", k.Curve.Params().BitSize))
		}
	}
	return out
}

// path builds the certificate path of leaf at time at to a trusted root, fetching missing
// issuers when online, and checks a signer's key usage. A sub-indication says why it fails.
func (v *validator) path(leaf *x509.Certificate, at time.Time, signer bool) ([]*x509.Certificate, Trust, SubIndication) {
	inter := x509.NewCertPool()
	for _, c := range v.certs {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: v.roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	chains, err := leaf.Verify(opts)
	for tries := 0; err != nil && !v.o.Offline && tries < 4; tries++ {
		partial := pki.OrderChain(leaf, v.certs)
		issuer := v.fetchIssuer(partial[len(partial)-1])
		if issuer == nil {
			break
		}
		v.certs = append(v.certs, issuer)
		inter.AddCert(issuer)
		chains, err = leaf.Verify(opts)
	}
	t := Trust{}
	if err != nil {
		partial := pki.OrderChain(leaf, v.certs)
		for _, c := range partial {
			t.Chain = append(t.Chain, pki.FormatName(c.RawSubject))
		}
		t.Root = t.Chain[len(t.Chain)-1]
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			t.Problem = "a certificate of the chain was not valid at " + at.Format(time.RFC3339) + ": " + err.Error()
			return partial, t, OutOfBoundsNoPOE
		}
		top := partial[len(partial)-1]
		t.Problem = fmt.Sprintf("the chain ends at %s, which is not a trusted root (add it with vbdt trust add, or pass --trust)", pki.FormatName(top.RawSubject))
		if bytes.Equal(top.RawIssuer, top.RawSubject) {
			t.Problem = fmt.Sprintf("the root %s is not trusted (add it with vbdt trust add, or pass --trust)", pki.FormatName(top.RawSubject))
		}
		return partial, t, NoCertificateChainFound
	}
	chain := v.best(chains)
	for _, c := range chain {
		t.Chain = append(t.Chain, pki.FormatName(c.RawSubject))
	}
	root := chain[len(chain)-1]
	t.Root, t.Anchor, t.OK = pki.FormatName(root.RawSubject), v.kind[pki.Fingerprint(root)], true
	if t.Anchor == "" {
		t.Anchor = "system"
	}
	for _, p := range pki.VietnamRoots() {
		if p.SHA256 == pki.Fingerprint(root) {
			t.National = p.Name
		}
	}
	if signer && leaf.KeyUsage != 0 && leaf.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		t.OK, t.Problem = false, "the signer's certificate is not for signatures (key usage has neither digitalSignature nor nonRepudiation)"
		return chain, t, ChainConstraintsFailure
	}
	return chain, t, ""
}

// best prefers a path to a pinned national root, then to a configured anchor.
func (v *validator) best(chains [][]*x509.Certificate) []*x509.Certificate {
	rank := map[string]int{"pinned": 0, "configured": 1, "": 2, "system": 2}
	best := chains[0]
	for _, c := range chains[1:] {
		if rank[v.kind[pki.Fingerprint(c[len(c)-1])]] < rank[v.kind[pki.Fingerprint(best[len(best)-1])]] {
			best = c
		}
	}
	return best
}

// ltvLevel raises B-T to B-LT when the document's DSS holds what validates the signature later
// (its revocation data, or no revocation service to ask), and to B-LTA when a later document
// timestamp covers that.
func (v *validator) ltvLevel(c *Check, s *Signature, all []Check) string {
	if s.Level != "B-T" || !s.ltvMaterial {
		return s.Level
	}
	for _, o := range all {
		if o.DocTimestamp() && o.Intact && o.SignedSize > c.SignedSize {
			return "B-LTA"
		}
	}
	return "B-LT"
}
