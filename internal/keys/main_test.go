package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"testing"

	"github.com/vbdt/vbdt/internal/testpki"
)

// pkiDir holds the test PKI written once for the package by TestMain.
var pkiDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "vbdt-keys-test-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		pkiDir = dir + "/pki"
		if _, err := testpki.WriteAll(pkiDir, timeNow()); err != nil {
			panic(err)
		}
		if err := setupToken(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}())
}

// env returns a Getenv with only the given variables.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// checkSigns signs a digest with k under opts and verifies it with the certificate's key.
func checkSigns(t *testing.T, k *Key, h crypto.Hash, opts crypto.SignerOpts) {
	t.Helper()
	hh := h.New()
	hh.Write([]byte("văn bản điện tử"))
	digest := hh.Sum(nil)
	sig, err := k.Sign(rand.Reader, digest, opts)
	if err != nil {
		t.Fatalf("sign %v: %v", opts, err)
	}
	switch pub := k.Certificate().PublicKey.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			err = rsa.VerifyPSS(pub, h, digest, sig, pss)
		} else {
			err = rsa.VerifyPKCS1v15(pub, h, digest, sig)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			err = fmt.Errorf("ECDSA signature does not verify")
		}
	}
	if err != nil {
		t.Fatalf("%v: %v", opts, err)
	}
}
