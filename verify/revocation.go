package verify

import (
	"bytes"
	"crypto/x509"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/vbdt/vbdt/internal/evidence"
)

// status is the revocation status of one certificate.
type status struct {
	state   string // "good", "revoked", "unknown", "not required"
	source  string
	revoked time.Time
	problem string
}

// revocation checks every certificate of chain but its root, at time at: embedded data first
// (DSS, CMS, Adobe archival), then online OCSP and CRLs unless offline. The worst status wins.
func (v *validator) revocation(chain []*x509.Certificate, at time.Time) Revocation {
	order := map[string]int{"not required": 0, "good": 1, "unknown": 2, "revoked": 3}
	out := Revocation{Status: "not required"}
	for i := 0; i+1 < len(chain); i++ {
		st := v.status(chain[i], chain[i+1], at)
		if i > 0 && st.state == "unknown" {
			// an intermediate whose status cannot be had: reported, not decisive (its CA's
			// own CRLs are rarely embedded)
			st.state = "not required"
		}
		if order[st.state] > order[out.Status] || (out.Source == "" && st.source != "") {
			who := ""
			if i > 0 {
				who = "issuing CA " + chain[i].Subject.CommonName + ": "
			}
			out = Revocation{Status: st.state, Source: st.source, Revoked: st.revoked}
			if st.problem != "" {
				out.Problem = who + st.problem
			}
		}
	}
	return out
}

// status finds the revocation status of cert, issued by issuer, at the time at. Of the answers
// the document carries, every one that is authentic and speaks for at counts, and the worst
// wins: an old "good" answer next to a "revoked" one does not hide it (a responder's
// "unknown" says nothing against another source's "good").
func (v *validator) status(cert, issuer *x509.Certificate, at time.Time) status {
	order := map[string]int{"unknown": 1, "good": 2, "revoked": 3} // an "unknown" answer is no evidence against a "good" one
	var worst status
	for _, r := range v.ocsps {
		if st, ok := ocspStatus(r.der, cert, issuer, r.source, at); ok && order[st.state] > order[worst.state] {
			worst = st
		}
	}
	for _, r := range v.crls {
		if st, ok := crlStatus(r.der, cert, issuer, r.source, at); ok && order[st.state] > order[worst.state] {
			worst = st
		}
	}
	if worst.state != "" {
		return worst
	}
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		return status{state: "not required"}
	}
	if v.o.Offline {
		return status{state: "unknown", problem: "the certificate names revocation services, the document embeds no answer from them, and the check is offline"}
	}
	var problems []string
	if len(cert.OCSPServer) > 0 {
		// the fetcher checked the answer: signer authorized, about this certificate, fresh
		a, err := v.o.Fetcher.OCSP(v.ctx, cert, issuer)
		if err == nil {
			return ocspResult(a.Resp, "online OCSP")
		}
		problems = append(problems, err.Error())
	}
	if len(cert.CRLDistributionPoints) > 0 {
		l, err := v.o.Fetcher.CRL(v.ctx, cert, issuer)
		if err == nil {
			return crlResult(l.List, cert, "online CRL")
		}
		problems = append(problems, err.Error())
	}
	return status{state: "unknown", problem: strings.Join(problems, "; ")}
}

// ocspStatus reads an OCSP response about cert that a document carries: signed by its issuer
// or a responder the issuer delegated to (evidence.CheckOCSPAnswer), and speaking for at.
func ocspStatus(der []byte, cert, issuer *x509.Certificate, source string, at time.Time) (status, bool) {
	resp, err := evidence.CheckOCSPAnswer(der, cert, issuer)
	if err != nil || !speaksFor(resp.Status == ocsp.Revoked, resp.ThisUpdate, resp.NextUpdate, at) {
		return status{}, false
	}
	return ocspResult(resp, source), true
}

// embeddedMaxAge bounds how long before the time it must speak for an answer without a
// nextUpdate may have been made.
const embeddedMaxAge = 24 * time.Hour

// speaksFor reports whether an answer valid from thisUpdate to nextUpdate (zero: none) tells
// the status at the time at. A revocation is for good, whenever it was reported; "not
// revoked" holds only for the answer's validity: one that expired before at says nothing of
// at, one made after at covers it.
func speaksFor(revoked bool, thisUpdate, nextUpdate, at time.Time) bool {
	switch {
	case revoked, !thisUpdate.Before(at):
		return true
	case nextUpdate.IsZero():
		return !thisUpdate.Add(embeddedMaxAge).Before(at)
	}
	return !nextUpdate.Before(at)
}

// ocspResult is what an OCSP response about a certificate says.
func ocspResult(resp *ocsp.Response, source string) status {
	switch resp.Status {
	case ocsp.Good:
		return status{state: "good", source: source}
	case ocsp.Revoked:
		return status{state: "revoked", source: source, revoked: resp.RevokedAt}
	}
	return status{state: "unknown", source: source, problem: "the OCSP responder does not know the certificate"}
}

// crlStatus reads a CRL of cert's issuer, signed by it, that speaks for at (see speaksFor).
func crlStatus(der []byte, cert, issuer *x509.Certificate, source string, at time.Time) (status, bool) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil || !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
		return status{}, false
	}
	st := crlResult(crl, cert, source)
	if !speaksFor(st.state == "revoked", crl.ThisUpdate, crl.NextUpdate, at) {
		return status{}, false
	}
	return st, true
}

// crlResult is what a CRL says about cert.
func crlResult(crl *x509.RevocationList, cert *x509.Certificate, source string) status {
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return status{state: "revoked", source: source, revoked: e.RevocationTime}
		}
	}
	return status{state: "good", source: source}
}

// Fetcher gets OCSP answers, CRLs and certificates over HTTP for a whole run, checked and
// bounded, remembering each answer — and each failure, so that one dead responder costs one
// timeout per run, not one per document. Safe for concurrent use. It is evidence.Fetcher: a
// Cache directory keeps its answers across runs.
type Fetcher = evidence.Fetcher

// NewFetcher fetches with client (nil: a 10-second timeout).
func NewFetcher(client *http.Client) *Fetcher { return evidence.NewFetcher(client) }

// fetchIssuer fetches the issuer of c named by its Authority Information Access, if any.
func (v *validator) fetchIssuer(c *x509.Certificate) *x509.Certificate {
	issuer, err := v.o.Fetcher.Issuer(v.ctx, c)
	if err != nil {
		return nil
	}
	return issuer
}
