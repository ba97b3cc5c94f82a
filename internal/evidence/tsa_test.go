package evidence

import (
	"crypto"
	"encoding/asn1"
	"errors"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"
)

func TestTSAInProcess(t *testing.T) {
	e := newEnv(t, envConfig{})
	data := []byte("signature")
	token, ts, err := (&TSA{URL: e.base + "/tsa", Hash: crypto.SHA384}).Stamp(bg(), data)
	if err != nil {
		t.Fatal(err)
	}
	if ts.HashAlgorithm != crypto.SHA384 || len(token) == 0 || !ts.Policy.Equal(e.tsaPolicy) {
		t.Errorf("token %v %v", ts.HashAlgorithm, ts.Policy)
	}
	// StampDigest: the same, over a digest made by the caller
	d := crypto.SHA256.New()
	d.Write(data)
	if _, err := (&TSA{URL: e.base + "/tsa"}).StampDigest(bg(), d.Sum(nil), crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, err := (&TSA{URL: e.base + "/tsa"}).StampDigest(bg(), []byte("short"), crypto.SHA256); err == nil {
		t.Error("a digest of the wrong size was sent")
	}
	if _, _, err := (&TSA{URL: e.base + "/tsa", Hash: crypto.SHA1}).Stamp(bg(), data); err == nil {
		t.Error("SHA-1 was allowed")
	}
}

func TestTSABadAnswers(t *testing.T) {
	for _, tc := range []struct {
		mode   string
		policy asn1.ObjectIdentifier
		want   string
	}{
		{"nonce", nil, "the token's nonce does not match the request"},
		{"digest", nil, "the token is over a different digest"},
		{"policy", asn1.ObjectIdentifier{1, 2, 3, 4, 7}, "the token's policy 1.2.3.4.99 is not the requested 1.2.3.4.7"},
		{"noeku", nil, "lacks the critical timeStamping extended key usage"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			e.set(func(e *env) { e.tsaMode = tc.mode })
			_, _, err := (&TSA{URL: e.base + "/tsa", Policy: tc.policy}).Stamp(bg(), []byte("signature"))
			mustContain(t, err, "TSA "+e.base+"/tsa: ", tc.want)
			if n := e.count("/tsa"); n != 1 {
				t.Errorf("a bad token was asked for %d times", n)
			}
		})
	}
}

func TestTSARetries(t *testing.T) {
	e := newEnv(t, envConfig{})
	tsa := &TSA{URL: e.base + "/tsa", Backoff: time.Millisecond}

	e.set(func(e *env) { e.tsaMode = "fail-once" })
	if _, _, err := tsa.Stamp(bg(), []byte("x")); err != nil {
		t.Fatalf("a 503 then a token: %v", err)
	}
	if n := e.count("/tsa"); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	e.set(func(e *env) { e.tsaMode, e.hits["/tsa"] = "fail", 0 })
	_, _, err := tsa.Stamp(bg(), []byte("x"))
	mustContain(t, err, "503", "after 3 attempts")
	if n := e.count("/tsa"); n != 3 {
		t.Errorf("%d requests, want 3 (2 retries)", n)
	}

	e.set(func(e *env) { e.tsaMode, e.hits["/tsa"] = "bad-request", 0 })
	_, _, err = tsa.Stamp(bg(), []byte("x"))
	mustContain(t, err, "HTTP 400")
	if n := e.count("/tsa"); n != 1 {
		t.Errorf("a 400 was retried: %d requests", n)
	}

	e.set(func(e *env) { e.tsaMode, e.hits["/tsa"] = "fail", 0 })
	_, _, err = (&TSA{URL: e.base + "/tsa", Retries: -1}).Stamp(bg(), []byte("x"))
	if err == nil || e.count("/tsa") != 1 {
		t.Errorf("Retries -1: %v after %d requests", err, e.count("/tsa"))
	}

	// a refused connection is retried, then reported
	dead := deadURL(t)
	_, _, err = (&TSA{URL: dead, Backoff: time.Millisecond}).Stamp(bg(), []byte("x"))
	mustContain(t, err, "TSA "+dead, "connection refused", "after 3 attempts")
}

func TestTSATimeout(t *testing.T) {
	e := newEnv(t, envConfig{})
	e.set(func(e *env) { e.tsaMode = "slow" })
	tsa := &TSA{URL: e.base + "/tsa", Client: &http.Client{Timeout: 100 * time.Millisecond}, Backoff: time.Millisecond}
	_, _, err := tsa.Stamp(bg(), []byte("x"))
	mustContain(t, err, "TSA "+e.base+"/tsa: timed out after 100ms")
	if n := e.count("/tsa"); n != 1 {
		t.Errorf("a timeout was retried: %d requests", n)
	}
}

func TestTSABasicAuth(t *testing.T) {
	const password = "Mật-khẩu-s3cret"
	e := newEnv(t, envConfig{})
	e.set(func(e *env) { e.tsaAuth = [2]string{"clerk", password} })
	url := e.base + "/tsa"
	if _, _, err := (&TSA{URL: url, Username: "clerk", Password: password}).Stamp(bg(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	// as configured: the credentials in the URL, made basic auth by ParseTSA
	host := strings.TrimPrefix(url, "http://")
	withCreds := (&neturl.URL{Scheme: "http", User: neturl.UserPassword("clerk", password), Host: strings.TrimSuffix(host, "/tsa"), Path: "/tsa"}).String()
	tsa, err := ParseTSA(withCreds)
	if err != nil {
		t.Fatal(err)
	}
	if tsa.URL != url || tsa.Username != "clerk" || tsa.Password != password {
		t.Fatalf("ParseTSA: %q %q", tsa.URL, tsa.Username)
	}
	if _, _, err := tsa.Stamp(bg(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	// failures never show the password
	var errs []error
	_, _, err = (&TSA{URL: url, Username: "clerk", Password: "wrong-" + password}).Stamp(bg(), []byte("x"))
	mustContain(t, err, "401")
	errs = append(errs, err)
	_, _, err = (&TSA{URL: withCreds, Password: password}).Stamp(bg(), []byte("x"))
	errs = append(errs, err)
	e.set(func(e *env) { e.tsaMode = "nonce" })
	_, _, err = (&TSA{URL: withCreds, Username: "clerk", Password: password}).Stamp(bg(), []byte("x"))
	mustContain(t, err, "nonce", "clerk:REDACTED@")
	errs = append(errs, err)
	dead := strings.TrimPrefix(deadURL(t), "http://")
	_, _, err = (&TSA{URL: (&neturl.URL{Scheme: "http", User: neturl.UserPassword("clerk", password), Host: strings.TrimSuffix(dead, "/ocsp"), Path: "/tsa"}).String(), Backoff: time.Millisecond}).Stamp(bg(), []byte("x"))
	mustContain(t, err, "connection refused")
	errs = append(errs, err)
	_, err = ParseTSA("ftp://clerk:" + password + "@tsa.example/")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			continue
		}
		if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), neturl.QueryEscape(password)) {
			t.Errorf("the password shows: %v", err)
		}
		var ee *Error
		if !errors.As(err, &ee) {
			t.Errorf("%T is not an *Error", err)
		}
	}
}
