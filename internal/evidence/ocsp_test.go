package evidence

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

func TestOCSPGood(t *testing.T) {
	e := newEnv(t, envConfig{})
	f := e.fetcher()
	a, err := f.OCSP(bg(), e.leaf.cert, e.inter.cert)
	if err != nil {
		t.Fatal(err)
	}
	if a.Resp.Status != ocsp.Good || a.URL != e.base+"/ocsp" || a.Resp.Certificate == nil || !a.Resp.Certificate.Equal(e.responder.cert) {
		t.Errorf("answer %+v from %s", a.Resp, a.URL)
	}
	// the root answers for the intermediate itself, embedding its own certificate
	a, err = f.OCSP(bg(), e.inter.cert, e.root.cert)
	if err != nil {
		t.Fatal(err)
	}
	if a.Resp.Status != ocsp.Good {
		t.Errorf("intermediate: status %d", a.Resp.Status)
	}
	// asked again: from memory
	if _, err := f.OCSP(bg(), e.leaf.cert, e.inter.cert); err != nil {
		t.Fatal(err)
	}
	if n := f.Requests(); n != 2 || e.count("/ocsp") != 2 {
		t.Errorf("%d requests made, %d received; want 2", n, e.count("/ocsp"))
	}
}

func TestOCSPSignedByIssuerDirectly(t *testing.T) {
	e := newEnv(t, envConfig{})
	e.set(func(e *env) { e.ocspMode = "direct" })
	a, err := e.fetcher().OCSP(bg(), e.leaf.cert, e.inter.cert)
	if err != nil {
		t.Fatal(err)
	}
	if a.Resp.Certificate != nil || a.Resp.Status != ocsp.Good {
		t.Errorf("answer %+v", a.Resp)
	}
}

func TestOCSPRevoked(t *testing.T) {
	e := newEnv(t, envConfig{})
	at := e.now().Add(-2 * time.Hour).Truncate(time.Second)
	e.revoke(e.leaf.cert, at)
	f := e.fetcher()
	a, err := f.OCSP(bg(), e.leaf.cert, e.inter.cert)
	if err != nil {
		t.Fatal(err)
	}
	if a.Resp.Status != ocsp.Revoked || !a.Resp.RevokedAt.Equal(at) || a.Resp.RevocationReason != ocsp.KeyCompromise {
		t.Fatalf("answer: status %d, revoked at %v (want %v), reason %d", a.Resp.Status, a.Resp.RevokedAt, at, a.Resp.RevocationReason)
	}
	// Collect reports it, without deciding
	m, err := f.Collect(bg(), []*x509.Certificate{e.leaf.cert, e.inter.cert}, e.now())
	if err != nil {
		t.Fatal(err)
	}
	st := m.Status[0]
	if st.State != Revoked || !st.RevokedAt.Equal(at) || st.Reason != ocsp.KeyCompromise || st.Source != "OCSP "+e.base+"/ocsp" {
		t.Errorf("status %+v", st)
	}
	if !st.RevokedBy(at.Add(time.Second)) || st.RevokedBy(at.Add(-time.Hour)) {
		t.Error("RevokedBy misjudges the revocation time")
	}
	if m.Status[1].State != Good {
		t.Errorf("intermediate: %+v", m.Status[1])
	}
}

func TestOCSPUnknown(t *testing.T) {
	e := newEnv(t, envConfig{})
	e.set(func(e *env) { e.unknown[e.leaf.cert.SerialNumber.String()] = true })
	f := e.fetcher()
	a, err := f.OCSP(bg(), e.leaf.cert, e.inter.cert)
	if err != nil {
		t.Fatal(err)
	}
	if a.Resp.Status != ocsp.Unknown {
		t.Fatalf("status %d, want unknown", a.Resp.Status)
	}
	// Collect falls back to the CRL, and says why
	m, err := f.Collect(bg(), []*x509.Certificate{e.leaf.cert, e.inter.cert}, e.now())
	if err != nil {
		t.Fatal(err)
	}
	st := m.Status[0]
	if st.State != Good || st.Source != "CRL "+e.base+"/crl/inter.crl" || len(m.CRLs) != 1 {
		t.Errorf("status %+v, %d CRLs", st, len(m.CRLs))
	}
	mustContain(t, st.Failures, "status unknown")
	// without a CRL either, nothing is usable: an error naming the certificate
	e.set(func(e *env) { e.crlMode = "expired" })
	_, err = e.fetcher().Collect(bg(), []*x509.Certificate{e.leaf.cert, e.inter.cert}, e.now())
	var missing *MissingError
	if !errors.As(err, &missing) || len(missing.Missing) != 1 || missing.Missing[0].Cert != e.leaf.cert {
		t.Fatalf("error %v", err)
	}
	mustContain(t, err, e.leaf.cert.Subject.CommonName, "status unknown", e.base+"/crl/inter.crl", "stale")
}

func TestOCSPResponderDown(t *testing.T) {
	e := newEnv(t, envConfig{})
	dead := deadURL(t)
	f := &Fetcher{OCSPURL: dead}
	_, err := f.OCSP(bg(), e.leaf.cert, e.inter.cert)
	mustContain(t, err, "OCSP "+dead, "connection refused")
	// the failure is remembered for the run: the dead responder is not asked again
	_, err2 := f.OCSP(bg(), e.leaf.cert, e.inter.cert)
	if err2 == nil || f.Requests() != 1 {
		t.Errorf("second ask: %v, %d requests", err2, f.Requests())
	}
}

func TestOCSPCredentialsHidden(t *testing.T) {
	e := newEnv(t, envConfig{})
	dead := deadURL(t)
	withPassword := "http://clerk:hunter2-secret@" + dead[len("http://"):]
	_, err := (&Fetcher{OCSPURL: withPassword}).OCSP(bg(), e.leaf.cert, e.inter.cert)
	mustContain(t, err, "connection refused", "clerk:REDACTED@")
	if err != nil && strings.Contains(err.Error(), "hunter2-secret") {
		t.Errorf("the password shows: %v", err)
	}
}

func TestOCSPSlowResponder(t *testing.T) {
	e := newEnv(t, envConfig{})
	e.set(func(e *env) { e.ocspMode = "slow" })
	f := &Fetcher{Client: &http.Client{Timeout: 150 * time.Millisecond}, Now: e.now}
	_, err := f.OCSP(bg(), e.leaf.cert, e.inter.cert)
	mustContain(t, err, "OCSP "+e.base+"/ocsp", "timed out after 150ms")
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Errorf("not a TimeoutError: %T", err)
	}
	// the run's deadline ends it too
	ctx, cancel := context.WithTimeout(bg(), 150*time.Millisecond)
	defer cancel()
	_, err = e.fetcher().OCSP(ctx, e.leaf.cert, e.inter.cert)
	if err == nil || !strings.Contains(err.Error(), "timed out") && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v", err)
	}
}

func TestOCSPBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"badsig", []string{"signature does not verify"}},
		{"noeku", []string{"Responder Without EKU", "not authorized", "OCSPSigning"}},
		{"otherca", []string{"Responder Of Another CA", "not authorized", "not issued by"}},
		{"stale", []string{"stale", "nextUpdate"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			e.set(func(e *env) { e.ocspMode = tc.mode })
			_, err := e.fetcher().OCSP(bg(), e.leaf.cert, e.inter.cert)
			mustContain(t, err, append([]string{"OCSP " + e.base + "/ocsp"}, tc.want...)...)
		})
	}
}

func TestOCSPAnswerForAnotherCertificate(t *testing.T) {
	e := newEnv(t, envConfig{})
	// a real answer, but about the intermediate: not usable for the leaf
	der := e.ocspDER(t, e.inter.cert, e.root.cert)
	if _, _, err := checkOCSP(der, e.leaf.cert, e.inter.cert, e.now(), DefaultMaxAge); err == nil {
		t.Fatal("an answer about another certificate was accepted")
	}
	// and the leaf's own answer checked against the wrong issuer fails too
	der = e.ocspDER(t, e.leaf.cert, e.inter.cert)
	if _, _, err := checkOCSP(der, e.leaf.cert, e.otherCA.cert, e.now(), DefaultMaxAge); err == nil {
		t.Fatal("an answer was accepted for another issuer")
	}
	if _, _, err := checkOCSP(der, e.leaf.cert, e.inter.cert, e.now(), DefaultMaxAge); err != nil {
		t.Fatal(err)
	}
}

func TestOCSPFreshness(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name             string
		this, next       time.Time
		ok               bool
		wantUntil        time.Time
		wantErrSubstring string
	}{
		{"fresh", now.Add(-time.Minute), now.Add(time.Hour), true, now.Add(time.Hour), ""},
		{"future", now.Add(10 * time.Minute), now.Add(time.Hour), false, time.Time{}, "from the future"},
		{"skew tolerated", now.Add(4 * time.Minute), now.Add(time.Hour), true, now.Add(time.Hour), ""},
		{"passed", now.Add(-2 * time.Hour), now.Add(-time.Hour), false, time.Time{}, "nextUpdate"},
		{"no nextUpdate, recent", now.Add(-time.Hour), time.Time{}, true, now.Add(23 * time.Hour), ""},
		{"no nextUpdate, old", now.Add(-25 * time.Hour), time.Time{}, false, time.Time{}, "no nextUpdate"},
	} {
		until, err := fresh("answer", tc.this, tc.next, now, DefaultMaxAge)
		if (err == nil) != tc.ok || (tc.ok && !until.Equal(tc.wantUntil)) {
			t.Errorf("%s: until %v, err %v", tc.name, until, err)
		}
		if !tc.ok {
			mustContain(t, err, tc.wantErrSubstring)
		}
	}
}
