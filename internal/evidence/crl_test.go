package evidence

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

func TestCRLFallbackWithoutOCSP(t *testing.T) {
	e := newEnv(t, envConfig{noOCSP: true})
	f := e.fetcher()
	m, err := f.Collect(bg(), []*x509.Certificate{e.leaf.cert, e.inter.cert}, e.now())
	if err != nil {
		t.Fatal(err)
	}
	st := m.Status[0]
	if st.State != Good || st.Source != "CRL "+e.base+"/crl/inter.crl" {
		t.Errorf("leaf: %+v", st)
	}
	mustContain(t, st.Failures, "names no OCSP responder")
	if len(m.CRLs) != 1 || len(m.OCSPs) != 1 { // the leaf's CRL, the intermediate's OCSP answer
		t.Errorf("%d CRLs, %d OCSP answers", len(m.CRLs), len(m.OCSPs))
	}
	if e.count("/crl/inter.crl") != 1 {
		t.Errorf("the CRL was fetched %d times", e.count("/crl/inter.crl"))
	}

	// revoked on the CRL
	at := e.now().Add(-3 * time.Hour).Truncate(time.Second)
	e.revoke(e.leaf.cert, at)
	m, err = e.fetcher().Collect(bg(), []*x509.Certificate{e.leaf.cert, e.inter.cert}, e.now())
	if err != nil {
		t.Fatal(err)
	}
	if st := m.Status[0]; st.State != Revoked || !st.RevokedAt.Equal(at) || st.Reason != ocsp.KeyCompromise {
		t.Errorf("leaf: %+v", st)
	}
}

func TestCRLExpired(t *testing.T) {
	e := newEnv(t, envConfig{noOCSP: true})
	e.set(func(e *env) { e.crlMode = "expired" })
	f := e.fetcher()
	_, err := f.CRL(bg(), e.leaf.cert, e.inter.cert)
	mustContain(t, err, "CRL "+e.base+"/crl/inter.crl", "stale", "nextUpdate")
	_, err = f.Collect(bg(), []*x509.Certificate{e.leaf.cert, e.inter.cert}, e.now())
	var missing *MissingError
	if !errors.As(err, &missing) {
		t.Fatalf("error %v, want a MissingError", err)
	}
	mustContain(t, err, e.leaf.cert.Subject.CommonName, "names no OCSP responder", e.base+"/crl/inter.crl", "stale")
}

func TestCRLChecks(t *testing.T) {
	e := newEnv(t, envConfig{})
	der := e.crl(e.inter, "")
	if _, _, err := checkCRL(der, e.inter.cert, e.now(), DefaultMaxAge); err != nil {
		t.Fatal(err)
	}
	// another CA's CRL, and a CRL whose signature was tampered with
	_, _, err := checkCRL(der, e.otherCA.cert, e.now(), DefaultMaxAge)
	mustContain(t, err, "not issued by")
	bad := append([]byte(nil), der...)
	bad[len(bad)-3] ^= 0xff
	_, _, err = checkCRL(bad, e.inter.cert, e.now(), DefaultMaxAge)
	if err == nil {
		t.Fatal("a tampered CRL was accepted")
	}
	// bounded
	f := &Fetcher{MaxCRL: 64, Now: e.now}
	_, err = f.CRL(bg(), e.leaf.cert, e.inter.cert)
	mustContain(t, err, "larger than 64 bytes")
}
