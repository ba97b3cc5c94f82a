package evidence

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"

	"github.com/vbdt/vbdt/internal/cms"
)

// The test PKI and its services, in process on a loopback port: a root, an intermediate CA, a
// leaf, a delegated OCSP responder, a TSA, and misfits (a responder without the OCSPSigning
// EKU, one issued by another CA, a TSA without the timeStamping EKU). The certificates name the
// environment's URLs, so the listener is made first.

// identity is a key and its certificate.
type identity struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// envConfig shapes the leaf certificate.
type envConfig struct {
	noOCSP bool   // the leaf names no OCSP responder
	aia    string // the leaf's caIssuers file: "inter.der" (default) or "inter.p7c"
}

type env struct {
	t    testing.TB
	srv  *httptest.Server
	base string

	root, inter, leaf, responder   identity
	noEKUResponder, otherResponder identity // misfit responders
	otherCA                        identity
	tsa, noEKUTSA                  identity

	stop chan struct{} // closed when the test ends: releases handlers that block

	offset atomic.Int64 // the clock of the services and fetchers: time.Now() plus this

	mu        sync.Mutex
	revoked   map[string]time.Time // serial → revocation time
	unknown   map[string]bool      // serials the responder does not know
	ocspMode  string               // "", "badsig", "noeku", "otherca", "stale", "slow", "direct"
	crlMode   string               // "", "expired"
	tsaMode   string               // "", "nonce", "digest", "policy", "fail-once", "fail", "bad-request", "slow", "noeku"
	tsaAuth   [2]string            // required basic auth user and password, when set
	hits      map[string]int
	tsaPolicy asn1.ObjectIdentifier
}

func newEnv(t testing.TB, cfg envConfig) *env {
	t.Helper()
	e := &env{t: t, revoked: map[string]time.Time{}, unknown: map[string]bool{}, hits: map[string]int{},
		tsaPolicy: asn1.ObjectIdentifier{1, 2, 3, 4, 1}}
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(e.serve))
	e.base = "http://" + e.srv.Listener.Addr().String()
	e.stop = make(chan struct{})
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() { close(e.stop) }) // before Close, which waits for the handlers

	start := time.Now().Add(-24 * time.Hour)
	e.root = makeCert(t, "Test Root", nil, x509.Certificate{IsCA: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotBefore: start})
	e.otherCA = makeCert(t, "Other Root", nil, x509.Certificate{IsCA: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotBefore: start})
	e.inter = makeCert(t, "Test Issuing CA", &e.root, x509.Certificate{IsCA: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotBefore: start,
		OCSPServer: []string{e.base + "/ocsp"}, CRLDistributionPoints: []string{e.base + "/crl/root.crl"},
		IssuingCertificateURL: []string{e.base + "/aia/root.der"}})
	aia := cfg.aia
	if aia == "" {
		aia = "inter.der"
	}
	leaf := x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, NotBefore: start,
		CRLDistributionPoints: []string{e.base + "/crl/inter.crl"}, IssuingCertificateURL: []string{e.base + "/aia/" + aia}}
	if !cfg.noOCSP {
		leaf.OCSPServer = []string{e.base + "/ocsp"}
	}
	e.leaf = makeCert(t, "Nguyễn Văn Ấn (TEST)", &e.inter, leaf)
	e.responder = makeCert(t, "Test OCSP Responder", &e.inter, x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: start,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}})
	e.noEKUResponder = makeCert(t, "Responder Without EKU", &e.inter, x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: start})
	e.otherResponder = makeCert(t, "Responder Of Another CA", &e.otherCA, x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: start,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}})
	ekuTS, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	e.tsa = makeCert(t, "Test TSA", &e.inter, x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: start,
		ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: ekuTS}}})
	e.noEKUTSA = makeCert(t, "TSA Without EKU", &e.inter, x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: start})
	e.srv.Start()
	return e
}

// makeCert issues a certificate (self-signed when issuer is nil) with a new P-256 key.
func makeCert(t testing.TB, cn string, issuer *identity, tmpl x509.Certificate) identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber, _ = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 100))
	tmpl.Subject = pkix.Name{CommonName: cn, Organization: []string{"vbdt evidence test"}}
	tmpl.BasicConstraintsValid = true
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = tmpl.NotBefore.AddDate(5, 0, 0)
	}
	parent, signer := &tmpl, crypto.Signer(key)
	if issuer != nil {
		parent, signer = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return identity{cert, key}
}

// now is the environment's clock.
func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

// advance moves the environment's clock.
func (e *env) advance(d time.Duration) { e.offset.Add(int64(d)) }

// fetcher is a Fetcher on the environment's clock.
func (e *env) fetcher() *Fetcher { return &Fetcher{Now: e.now} }

func (e *env) set(f func(e *env)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
}

// count is how many requests a path had.
func (e *env) count(path string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hits[path]
}

func (e *env) revoke(c *x509.Certificate, at time.Time) {
	e.set(func(e *env) { e.revoked[c.SerialNumber.String()] = at })
}

func (e *env) serve(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.hits[r.URL.Path]++
	ocspMode, crlMode := e.ocspMode, e.crlMode
	e.mu.Unlock()
	switch {
	case r.URL.Path == "/ocsp" && r.Method == http.MethodPost:
		if ocspMode == "slow" {
			e.block(r)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		req, err := ocsp.ParseRequest(body)
		if err != nil || r.Header.Get("Content-Type") != "application/ocsp-request" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		der, err := e.ocspAnswer(req, ocspMode)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(der)
	case r.URL.Path == "/crl/inter.crl":
		w.Write(e.crl(e.inter, crlMode))
	case r.URL.Path == "/crl/root.crl":
		w.Write(e.crl(e.root, crlMode))
	case r.URL.Path == "/aia/inter.der":
		w.Write(e.inter.cert.Raw)
	case r.URL.Path == "/aia/inter.p7c":
		w.Write(pkcs7Certs(e.inter.cert, e.root.cert))
	case r.URL.Path == "/aia/root.der":
		w.Write(e.root.cert.Raw)
	case r.URL.Path == "/tsa" && r.Method == http.MethodPost:
		e.serveTSA(w, r)
	default:
		http.NotFound(w, r)
	}
}

// block answers nothing until the client gives up (or the test ends). The body is read first:
// the server notices a closed connection only once it has.
func (e *env) block(r *http.Request) {
	io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-e.stop:
	}
}

// ocspAnswer answers req as the issuer it names wants: the intermediate through its delegated
// responder, the root itself; mode makes a faulty answer.
func (e *env) ocspAnswer(req *ocsp.Request, mode string) ([]byte, error) {
	ca, signer := e.root, e.root
	if string(req.IssuerKeyHash) == string(keyHash(crypto.SHA1, e.inter.cert)) {
		ca, signer = e.inter, e.responder
	}
	now := e.now()
	tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(time.Hour)}
	e.mu.Lock()
	if at, ok := e.revoked[req.SerialNumber.String()]; ok {
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.KeyCompromise
	}
	if e.unknown[req.SerialNumber.String()] {
		tmpl.Status = ocsp.Unknown
	}
	e.mu.Unlock()
	key := signer.key
	switch mode {
	case "badsig":
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		key = other
	case "noeku":
		signer, key = e.noEKUResponder, e.noEKUResponder.key
	case "otherca":
		signer, key = e.otherResponder, e.otherResponder.key
	case "stale":
		tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(-3*time.Hour), now.Add(-time.Hour)
	case "direct":
		signer, key = ca, ca.key
	}
	if signer.cert != ca.cert || mode == "badsig" {
		tmpl.Certificate = signer.cert
	} else if ca.cert == e.root.cert {
		tmpl.Certificate = e.root.cert // the issuer itself, embedded: x/crypto's own check refuses this
	}
	return ocsp.CreateResponse(ca.cert, signer.cert, tmpl, key)
}

// crl is ca's CRL of the revoked serials.
func (e *env) crl(ca identity, mode string) []byte {
	now := e.now()
	tmpl := &x509.RevocationList{Number: big.NewInt(now.Unix()), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
	if mode == "expired" {
		tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	}
	e.mu.Lock()
	for serial, at := range e.revoked {
		n, _ := new(big.Int).SetString(serial, 10)
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: n, RevocationTime: at, ReasonCode: ocsp.KeyCompromise})
	}
	e.mu.Unlock()
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		e.t.Error(err)
	}
	return der
}

// ocspFile is an OCSP answer about c as a DER file, made outside any server (for Files).
func (e *env) ocspDER(t testing.TB, c *x509.Certificate, issuer *x509.Certificate) []byte {
	t.Helper()
	req, err := ocsp.CreateRequest(c, issuer, nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ocsp.ParseRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	der, err := e.ocspAnswer(parsed, "")
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// serveTSA is an RFC 3161 TSA built on digitorus/timestamp, with faults on demand.
func (e *env) serveTSA(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	mode, auth, n, policy := e.tsaMode, e.tsaAuth, e.hits[r.URL.Path], e.tsaPolicy
	e.mu.Unlock()
	if auth[0] != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != auth[0] || p != auth[1] {
			w.Header().Set("WWW-Authenticate", `Basic realm="tsa"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	switch {
	case mode == "slow":
		e.block(r)
		return
	case mode == "fail", mode == "fail-once" && n == 1:
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	case mode == "bad-request":
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	req, err := timestamp.ParseRequest(body)
	if err != nil || r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if req.TSAPolicyOID != nil {
		policy = req.TSAPolicyOID
	}
	ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: e.now(),
		Nonce: req.Nonce, Policy: policy, AddTSACertificate: req.Certificates, Accuracy: time.Second}
	signer := e.tsa
	switch mode {
	case "nonce":
		ts.Nonce = new(big.Int).Add(req.Nonce, big.NewInt(1))
	case "digest":
		d := req.HashAlgorithm.New()
		d.Write([]byte("something else"))
		ts.HashedMessage = d.Sum(nil)
	case "policy":
		ts.Policy = asn1.ObjectIdentifier{1, 2, 3, 4, 99}
	case "noeku":
		signer = e.noEKUTSA
	}
	resp, err := ts.CreateResponseWithOpts(signer.cert, signer.key, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}

// pkcs7Certs is a certs-only PKCS#7 SignedData (a .p7c file).
func pkcs7Certs(certs ...*x509.Certificate) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(ci *cryptobyte.Builder) {
		ci.AddASN1ObjectIdentifier(cms.OIDSignedData)
		ci.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(c *cryptobyte.Builder) {
			c.AddASN1(cbasn1.SEQUENCE, func(sd *cryptobyte.Builder) {
				sd.AddASN1Int64(1)
				sd.AddASN1(cbasn1.SET, func(*cryptobyte.Builder) {})
				sd.AddASN1(cbasn1.SEQUENCE, func(ec *cryptobyte.Builder) {
					ec.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1})
				})
				sd.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(cs *cryptobyte.Builder) {
					for _, c := range certs {
						cs.AddBytes(c.Raw)
					}
				})
				sd.AddASN1(cbasn1.SET, func(*cryptobyte.Builder) {})
			})
		})
	})
	return b.BytesOrPanic()
}

// deadURL is a URL nothing listens on: connecting is refused.
func deadURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String() + "/ocsp"
	ln.Close()
	return u
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeDER(t testing.TB, dir, name string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, der, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustContain fails t unless err's text holds every part.
func mustContain(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
}

func bg() context.Context { return context.Background() }
