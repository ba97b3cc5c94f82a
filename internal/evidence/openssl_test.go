package evidence

import (
	"crypto"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/cms"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// TestTSAOpenSSL stamps with a real TSA back end (openssl ts -reply), in every allowed hash,
// asking for its policy.
func TestTSAOpenSSL(t *testing.T) {
	testenv.NeedTools(t, "openssl")
	dir := t.TempDir()
	testenv.PKI(t, dir)
	srv, err := testenv.StartTSA(dir, testpki.RSA)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	data := []byte("the signature value")
	for _, h := range []crypto.Hash{0, crypto.SHA384, crypto.SHA512} {
		tsa := &TSA{URL: srv.URL, Hash: h, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}}
		token, ts, err := tsa.Stamp(bg(), data)
		if err != nil {
			t.Fatalf("%v: %v", h, err)
		}
		want := h
		if want == 0 {
			want = crypto.SHA256
		}
		if ts.HashAlgorithm != want || !ts.Policy.Equal(tsa.Policy) || time.Since(ts.Time) > time.Hour {
			t.Errorf("%v: token %v, policy %v, time %v", h, ts.HashAlgorithm, ts.Policy, ts.Time)
		}
		parsed, err := cms.ParseTimestamp(token, nil)
		if err != nil || !parsed.Covers(data) {
			t.Errorf("%v: the token does not cover the data: %v", h, err)
		}
	}
	// a policy the TSA does not serve is refused (openssl answers with a rejection)
	_, _, err = (&TSA{URL: srv.URL, Policy: asn1.ObjectIdentifier{1, 2, 3, 4, 5}}).Stamp(bg(), data)
	mustContain(t, err, "TSA "+srv.URL, "not granted")
}
