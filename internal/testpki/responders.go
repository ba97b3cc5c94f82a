package testpki

import (
	"crypto"
	"encoding/asn1"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"
)

// Responders is an OCSP responder and an RFC 3161 time-stamping authority for the test PKI, in
// process on a loopback port: what `vbdt demo` and the benchmarks use to make long-term
// signatures without network or external tools. (Tests prefer openssl's responders, in
// testenv.) Certificates the intermediate issued are answered by the PKI's delegated OCSP
// responder, those the root issued by the root itself. Revoked lists serials answered revoked.
type Responders struct {
	sets    []*Set
	srv     *http.Server
	ln      net.Listener
	Revoked map[string]time.Time // by serial (decimal), set before the first request
	mu      sync.Mutex
	ocsps   atomic.Int64
	stamps  atomic.Int64
}

// OCSP and TSA paths of the Responders' URLs.
const (
	ocspRootPath         = "/ocsp/root"
	ocspIntermediatePath = "/ocsp/intermediate"
	tsaPath              = "/tsa"
)

// ListenResponders reserves a loopback port and returns the Responders' URLs, to be written
// into the certificates (GenerateWith); Serve then answers for the PKI made with them.
func ListenResponders() (*Responders, URLs, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, URLs{}, err
	}
	base := "http://" + ln.Addr().String()
	u := URLs{OCSP: map[Role]string{Root: base + ocspRootPath, Intermediate: base + ocspIntermediatePath}}
	return &Responders{ln: ln, Revoked: map[string]time.Time{}}, u, nil
}

// TSAURL is the time-stamping authority's URL.
func (r *Responders) TSAURL() string { return "http://" + r.ln.Addr().String() + tsaPath }

// Serve answers for the sets (their certificates and revocation; the first one's TSA signs
// timestamps) until Close.
func (r *Responders) Serve(sets ...*Set) {
	r.sets = sets
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ocspRootPath, func(w http.ResponseWriter, q *http.Request) { r.ocsp(w, q, Root) })
	mux.HandleFunc("POST "+ocspIntermediatePath, func(w http.ResponseWriter, q *http.Request) { r.ocsp(w, q, Intermediate) })
	mux.HandleFunc("POST "+tsaPath, r.tsa)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(r.ln)
}

// Requests counts the OCSP requests and timestamps answered.
func (r *Responders) Requests() (ocsps, stamps int64) { return r.ocsps.Load(), r.stamps.Load() }

// Close stops answering.
func (r *Responders) Close() error {
	if r.srv == nil {
		return r.ln.Close()
	}
	return r.srv.Close()
}

func (r *Responders) ocsp(w http.ResponseWriter, q *http.Request, issuer Role) {
	r.ocsps.Add(1)
	body, err := io.ReadAll(io.LimitReader(q.Body, 1<<16))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	req, err := ocsp.ParseRequest(body)
	if err != nil {
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(ocsp.MalformedRequestErrorResponse)
		return
	}
	// the set whose issuer has a certificate of this serial answers; else the first, unknown
	set := r.sets[0]
	for _, s := range r.sets {
		for _, id := range s.ids {
			if id.Cert.SerialNumber.Cmp(req.SerialNumber) == 0 && id.Cert.CheckSignatureFrom(s.Get(issuer).Cert) == nil {
				set = s
			}
		}
	}
	ca := set.Get(issuer)
	responder := ca // the root answers for itself
	if issuer == Intermediate {
		responder = set.Get(OCSP)
	}
	now := time.Now().Truncate(time.Minute)
	tmpl := ocsp.Response{Status: ocsp.Unknown, SerialNumber: req.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour)}
	if responder.Cert != ca.Cert {
		tmpl.Certificate = responder.Cert
	}
	for _, id := range set.ids {
		if id.Cert.SerialNumber.Cmp(req.SerialNumber) == 0 && id.Cert.CheckSignatureFrom(ca.Cert) == nil {
			tmpl.Status = ocsp.Good
			r.mu.Lock()
			at, revoked := r.Revoked[req.SerialNumber.String()]
			r.mu.Unlock()
			if revoked {
				tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.KeyCompromise
			}
		}
	}
	der, err := ocsp.CreateResponse(ca.Cert, responder.Cert, tmpl, responder.Key)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(der)
}

// the test TSA's policy
var tsaPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}

func (r *Responders) tsa(w http.ResponseWriter, q *http.Request) {
	r.stamps.Add(1)
	body, err := io.ReadAll(io.LimitReader(q.Body, 1<<16))
	if err == nil && q.Header.Get("Content-Type") != "application/timestamp-query" {
		err = errors.New("not a timestamp query")
	}
	var req *timestamp.Request
	if err == nil {
		req, err = timestamp.ParseRequest(body)
	}
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	set := r.sets[0]
	tsa := set.Get(TSA)
	ts := timestamp.Timestamp{
		HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: time.Now(), Accuracy: time.Second,
		Nonce: req.Nonce, Policy: tsaPolicy, AddTSACertificate: req.Certificates,
	}
	if req.TSAPolicyOID != nil {
		ts.Policy = req.TSAPolicyOID
	}
	if req.Certificates {
		ts.Certificates = set.Chain(TSA)[1:]
	}
	der, err := ts.CreateResponseWithOpts(tsa.Cert, tsa.Key, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(der)
}
