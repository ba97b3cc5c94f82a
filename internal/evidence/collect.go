package evidence

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/vbdt/vbdt/internal/redact"
)

// maxChain bounds the chains Collect builds: real ones have 2 to 4 certificates.
const maxChain = 10

// State is what the evidence says about a certificate.
type State string

const (
	Good    State = "good"
	Revoked State = "revoked"
	Unknown State = "unknown" // no usable evidence
	// NotRequired: the certificate names no revocation service (and none was given as a file)
	NotRequired State = "not required"
)

// CertStatus is the revocation status of one certificate and the evidence it rests on.
type CertStatus struct {
	Cert      *x509.Certificate
	State     State
	RevokedAt time.Time // when Revoked
	Reason    int       // when Revoked: the RFC 5280 CRLReason (ocsp.KeyCompromise…; 0 unspecified)
	// Source is the evidence used: "OCSP http://…", "CRL http://…", "OCSP file …", "CRL file …".
	Source string
	// Failures are the sources tried before Source (all of them when Unknown) and why each gave
	// nothing usable; nil when the first one answered.
	Failures error
}

// RevokedBy tells whether the certificate was revoked at or before t. Collect reports
// revocation and leaves the judgement to its caller: a certificate revoked before the signing
// time makes the signature worthless, one revoked later is evidence worth keeping.
func (s CertStatus) RevokedBy(t time.Time) bool { return s.State == Revoked && !s.RevokedAt.After(t) }

// Material is what a DSS needs to validate a signature later without the network.
type Material struct {
	At time.Time // the time Collect was asked about
	// Certs are the chain, leaf first, up to its self-signed root when that was found, and the
	// certificates of the delegated OCSP responders whose answers are in OCSPs.
	Certs []*x509.Certificate
	OCSPs [][]byte // DER OCSP responses
	CRLs  [][]byte // DER CRLs
	// Status holds, leaf first, each certificate of the chain that is not self-signed.
	Status []CertStatus
}

// MissingError says which certificates have no usable revocation evidence, and why.
type MissingError struct {
	Missing []CertStatus
}

func (e *MissingError) Error() string {
	parts := make([]string, len(e.Missing))
	for i, s := range e.Missing {
		parts[i] = fmt.Sprintf("no usable revocation evidence for %q: %v", subject(s.Cert), s.Failures)
	}
	return redact.String(strings.Join(parts, "; "))
}

// Collect completes chain (leaf first; the others in any order) up to a self-signed root,
// fetching missing issuers through AIA, and gathers revocation evidence for each certificate
// that is not self-signed: OCSP first, the CRL when there is no OCSP responder or no usable
// OCSP answer. at is the time the evidence must speak for (the signing time): among several
// candidate issuers the one valid then is preferred, and Material.At records it.
//
// When some certificate has no usable evidence — or its issuer cannot be found — the error is a
// *MissingError naming it and every source tried, and the Material still holds what was found.
// A revoked certificate is not an error: see CertStatus.RevokedBy.
func (f *Fetcher) Collect(ctx context.Context, chain []*x509.Certificate, at time.Time) (*Material, error) {
	if len(chain) == 0 {
		return nil, errors.New("evidence: no certificate to collect evidence for")
	}
	path, pathErr := f.complete(ctx, chain, at)
	m := &Material{At: at}
	for _, c := range path {
		m.addCert(c)
	}
	var missing []CertStatus
	crls := map[*CRLAnswer]bool{}
	for i, c := range path {
		if f.selfSigned(c) {
			continue
		}
		var st CertStatus
		if i+1 < len(path) {
			var o *OCSPAnswer
			var l *CRLAnswer
			st, o, l = f.status(ctx, c, path[i+1])
			if o != nil {
				m.OCSPs = append(m.OCSPs, o.DER)
				if r := o.Resp.Certificate; r != nil {
					m.addCert(r)
				}
			}
			if l != nil && !crls[l] {
				crls[l] = true
				m.CRLs = append(m.CRLs, l.DER)
			}
		} else {
			st = CertStatus{Cert: c, State: Unknown, Failures: fmt.Errorf("its issuer %q cannot be found: %w", pathErr.issuer, pathErr.err)}
		}
		m.Status = append(m.Status, st)
		if st.State == Unknown {
			missing = append(missing, st)
		}
	}
	if len(missing) > 0 {
		return m, &MissingError{Missing: missing}
	}
	return m, nil
}

func (m *Material) addCert(c *x509.Certificate) {
	for _, have := range m.Certs {
		if bytes.Equal(have.Raw, c.Raw) {
			return
		}
	}
	m.Certs = append(m.Certs, c)
}

// chainError is why a chain stops before a self-signed root.
type chainError struct {
	issuer string // the missing issuer's name
	err    error
}

// complete builds the path from chain[0] up to a self-signed root with the certificates of
// chain, those given as Files and those AIA names. Without a root, it returns the path found
// and why it stops.
func (f *Fetcher) complete(ctx context.Context, chain []*x509.Certificate, at time.Time) ([]*x509.Certificate, *chainError) {
	pool := append([]*x509.Certificate(nil), chain[1:]...)
	if f.Files != nil {
		pool = append(pool, f.Files.Certs...)
	}
	path := []*x509.Certificate{chain[0]}
	for {
		cur := path[len(path)-1]
		if f.selfSigned(cur) {
			return path, nil
		}
		name := issuerName(cur)
		if len(path) == maxChain {
			return path, &chainError{name, fmt.Errorf("the chain is longer than %d certificates", maxChain)}
		}
		iss := f.issuerAt(cur, pool, at)
		if iss == nil {
			var err error
			if iss, err = f.Issuer(ctx, cur); err != nil {
				return path, &chainError{name, err}
			}
		}
		for _, c := range path {
			if bytes.Equal(c.Raw, iss.Raw) {
				return path, &chainError{name, errors.New("the chain loops")}
			}
		}
		path = append(path, iss)
	}
}

// issuerAt returns the certificate of pool that issued cert, preferring one valid at at (a CA
// renewed with the same name and key leaves two candidates).
func (f *Fetcher) issuerAt(cert *x509.Certificate, pool []*x509.Certificate, at time.Time) *x509.Certificate {
	var fallback *x509.Certificate
	for _, c := range pool {
		if f.issued(cert, c) {
			if !at.Before(c.NotBefore) && !at.After(c.NotAfter) {
				return c
			}
			if fallback == nil {
				fallback = c
			}
		}
	}
	return fallback
}

// issued tells whether parent issued cert (cert's issuer is its subject and its key signed
// cert), remembering the answer: a batch checks the same few links for every document, and
// each is a public-key operation.
func (f *Fetcher) issued(cert, parent *x509.Certificate) bool {
	if !bytes.Equal(parent.RawSubject, cert.RawIssuer) {
		return false
	}
	key := string(cert.Signature) + "\x00" + string(parent.RawSubjectPublicKeyInfo)
	if v, ok := f.links.Load(key); ok {
		return v.(bool)
	}
	var err error
	if bytes.Equal(cert.Raw, parent.Raw) {
		err = cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature)
	} else {
		err = cert.CheckSignatureFrom(parent)
	}
	f.links.Store(key, err == nil)
	return err == nil
}

// ChainsTo reports whether cert chains to one of roots at the time t through the
// certificates of pool, for the extended key usage eku: whether a TSA's timestamp proves its
// time, say. A chain found is remembered with the span all its certificates are valid in, so
// a batch verifies each TSA's chain once; the roots must be the same for a Fetcher's life.
func (f *Fetcher) ChainsTo(cert *x509.Certificate, pool, roots []*x509.Certificate, t time.Time, eku x509.ExtKeyUsage) bool {
	if cert == nil || len(roots) == 0 {
		return false
	}
	key := fmt.Sprintf("chain\x00%d\x00%s", eku, cert.Signature)
	if v, ok := f.links.Load(key); ok {
		span := v.([2]time.Time)
		if !t.Before(span[0]) && !t.After(span[1]) {
			return true
		}
	}
	rp, ip := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range roots {
		rp.AddCert(r)
	}
	for _, c := range pool {
		ip.AddCert(c)
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: rp, Intermediates: ip, CurrentTime: t, KeyUsages: []x509.ExtKeyUsage{eku}})
	if err != nil || len(chains) == 0 {
		return false
	}
	span := [2]time.Time{cert.NotBefore, cert.NotAfter}
	for _, c := range chains[0] {
		if c.NotBefore.After(span[0]) {
			span[0] = c.NotBefore
		}
		if c.NotAfter.Before(span[1]) {
			span[1] = c.NotAfter
		}
	}
	f.links.Store(key, span)
	return true
}

// selfSigned tells whether c is its own issuer (a root): there is nobody to ask about it.
func (f *Fetcher) selfSigned(c *x509.Certificate) bool { return f.issued(c, c) }

// status finds cert's revocation status: OCSP first, then the CRL. It returns the evidence
// used.
func (f *Fetcher) status(ctx context.Context, cert, issuer *x509.Certificate) (CertStatus, *OCSPAnswer, *CRLAnswer) {
	st := CertStatus{Cert: cert, State: Unknown}
	var failures []error
	a, err := f.OCSP(ctx, cert, issuer)
	if err == nil {
		src := "OCSP " + redact.String(a.URL)
		switch a.Resp.Status {
		case ocsp.Good:
			st.State, st.Source = Good, src
			return st, a, nil
		case ocsp.Revoked:
			st.State, st.Source, st.RevokedAt, st.Reason = Revoked, src, a.Resp.RevokedAt, a.Resp.RevocationReason
			return st, a, nil
		}
		err = &Error{What: src, Err: errors.New("the responder does not know the certificate (status unknown)")}
	}
	failures = append(failures, err)
	l, err := f.CRL(ctx, cert, issuer)
	if err != nil {
		if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 && f.OCSPURL == "" {
			// a certificate that names no revocation service (some CAs' own, short-lived
			// ones): there is nobody to ask and nothing to embed but the chain
			st.State, st.Source = NotRequired, "no revocation service named"
			return st, nil, nil
		}
		st.Failures = joinErrors(append(failures, err))
		return st, nil, nil
	}
	st.State, st.Source, st.Failures = Good, "CRL "+redact.String(l.URL), joinErrors(failures)
	if e := l.Entry(cert); e != nil {
		st.State, st.RevokedAt, st.Reason = Revoked, e.RevocationTime, e.ReasonCode
	}
	return st, nil, l
}

// subject names a certificate for a person.
func subject(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

// issuerName names a certificate's issuer for a person.
func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}
