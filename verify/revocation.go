package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Bounds of what is fetched online.
const (
	maxOCSPResponse = 1 << 20
	maxCRL          = 32 << 20
	maxCertificate  = 1 << 20
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
		st := v.status(chain[i], chain[i+1])
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

// status finds the revocation status of cert, issued by issuer.
func (v *validator) status(cert, issuer *x509.Certificate) status {
	for _, r := range v.ocsps {
		if st, ok := ocspStatus(r.der, cert, issuer, r.source); ok {
			return st
		}
	}
	for _, r := range v.crls {
		if st, ok := crlStatus(r.der, cert, issuer, r.source); ok {
			return st
		}
	}
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		return status{state: "not required"}
	}
	if v.o.Offline {
		return status{state: "unknown", problem: "the certificate names revocation services, the document embeds no answer from them, and the check is offline"}
	}
	var problems []string
	for _, url := range cert.OCSPServer {
		der, err := v.fetchOCSP(url, cert, issuer)
		if err == nil {
			if st, ok := ocspStatus(der, cert, issuer, "online OCSP"); ok {
				return st
			}
			err = fmt.Errorf("the answer is not a valid OCSP response for this certificate")
		}
		problems = append(problems, fmt.Sprintf("OCSP %s: %v", url, err))
	}
	for _, url := range cert.CRLDistributionPoints {
		der, err := v.fetch(url, maxCRL)
		if err == nil {
			if st, ok := crlStatus(der, cert, issuer, "online CRL"); ok {
				return st
			}
			err = fmt.Errorf("not a valid CRL of the certificate's issuer")
		}
		problems = append(problems, fmt.Sprintf("CRL %s: %v", url, err))
	}
	return status{state: "unknown", problem: strings.Join(problems, "; ")}
}

// ocspStatus reads an OCSP response about cert, signed by its issuer or a responder the issuer
// delegated to.
func ocspStatus(der []byte, cert, issuer *x509.Certificate, source string) (status, bool) {
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil || resp.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		return status{}, false
	}
	switch resp.Status {
	case ocsp.Good:
		return status{state: "good", source: source}, true
	case ocsp.Revoked:
		return status{state: "revoked", source: source, revoked: resp.RevokedAt}, true
	}
	return status{state: "unknown", source: source, problem: "the OCSP responder does not know the certificate"}, true
}

// crlStatus reads a CRL of cert's issuer, signed by it.
func crlStatus(der []byte, cert, issuer *x509.Certificate, source string) (status, bool) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil || !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
		return status{}, false
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return status{state: "revoked", source: source, revoked: e.RevocationTime}, true
		}
	}
	return status{state: "good", source: source}, true
}

// Fetcher gets OCSP answers, CRLs and certificates over HTTP for a whole run, bounded in size,
// remembering each answer — and each failure, so that one dead responder costs one timeout per
// run, not one per document. Safe for concurrent use.
type Fetcher struct {
	client *http.Client
	mu     sync.Mutex
	done   map[string]*fetch
}

type fetch struct {
	ready chan struct{}
	data  []byte
	err   error
}

// NewFetcher fetches with client (nil: a 10-second timeout).
func NewFetcher(client *http.Client) *Fetcher {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Fetcher{client: client, done: map[string]*fetch{}}
}

// get returns what the request made by req answers, asking once per key.
func (f *Fetcher) get(ctx context.Context, key string, limit int64, req func(context.Context) (*http.Request, error)) ([]byte, error) {
	f.mu.Lock()
	if d, ok := f.done[key]; ok {
		f.mu.Unlock()
		select {
		case <-d.ready:
			return d.data, d.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	d := &fetch{ready: make(chan struct{})}
	f.done[key] = d
	f.mu.Unlock()
	defer close(d.ready)
	hr, err := req(ctx)
	if err != nil {
		d.err = err
		return nil, err
	}
	d.data, d.err = f.do(hr, limit)
	return d.data, d.err
}

func (f *Fetcher) do(hr *http.Request, limit int64) ([]byte, error) {
	resp, err := f.client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the answer is larger than %d bytes", limit)
	}
	return data, nil
}

// fetchOCSP asks an OCSP responder about cert.
func (v *validator) fetchOCSP(url string, cert, issuer *x509.Certificate) ([]byte, error) {
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("not an http URL")
	}
	return v.o.Fetcher.get(v.ctx, "ocsp\x00"+url+"\x00"+string(req), maxOCSPResponse, func(ctx context.Context) (*http.Request, error) {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
		if err == nil {
			hr.Header.Set("Content-Type", "application/ocsp-request")
		}
		return hr, err
	})
}

// fetch GETs url, bounded to limit bytes; http and https only.
func (v *validator) fetch(url string, limit int64) ([]byte, error) {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("not an http URL")
	}
	return v.o.Fetcher.get(v.ctx, url, limit, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	})
}

// fetchIssuer fetches the issuer of c named by its Authority Information Access, if any.
func (v *validator) fetchIssuer(c *x509.Certificate) *x509.Certificate {
	for _, url := range c.IssuingCertificateURL {
		der, err := v.fetch(url, maxCertificate)
		if err != nil {
			continue
		}
		if issuer, err := x509.ParseCertificate(der); err == nil && c.CheckSignatureFrom(issuer) == nil {
			return issuer
		}
	}
	return nil
}
