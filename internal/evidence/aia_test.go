package evidence

import (
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

func TestAIAMissingIntermediate(t *testing.T) {
	for _, format := range []string{"inter.der", "inter.p7c"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t, envConfig{aia: format})
			f := e.fetcher()
			issuer, err := f.Issuer(bg(), e.leaf.cert)
			if err != nil {
				t.Fatal(err)
			}
			if !issuer.Equal(e.inter.cert) {
				t.Fatalf("issuer %q", issuer.Subject.CommonName)
			}
			// Collect completes the chain from the leaf alone, up to the root
			m, err := f.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now())
			if err != nil {
				t.Fatal(err)
			}
			want := []*x509.Certificate{e.leaf.cert, e.inter.cert, e.root.cert, e.responder.cert}
			if len(m.Certs) != len(want) {
				t.Fatalf("%d certificates, want %d", len(m.Certs), len(want))
			}
			for i, c := range want {
				if !m.Certs[i].Equal(c) {
					t.Errorf("certificate %d is %q, want %q", i, m.Certs[i].Subject.CommonName, c.Subject.CommonName)
				}
			}
			if len(m.Status) != 2 || m.Status[0].State != Good || m.Status[1].State != Good {
				t.Errorf("status %+v", m.Status)
			}
			if n := e.count("/aia/" + format); n != 1 {
				t.Errorf("the intermediate was fetched %d times", n)
			}
		})
	}
}

func TestAIAOpenSSLBundle(t *testing.T) {
	testenv.NeedTools(t, "openssl")
	e := newEnv(t, envConfig{})
	dir := t.TempDir()
	in := writePEM(t, dir, "inter.pem", "CERTIFICATE", e.inter.cert.Raw)
	for _, form := range []string{"DER", "PEM"} {
		out := filepath.Join(dir, "bundle."+form)
		if b, err := exec.Command("openssl", "crl2pkcs7", "-nocrl", "-certfile", in, "-outform", form, "-out", out).CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, b)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		certs, err := parseCertificates(data)
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		if issuerIn(e.leaf.cert, certs) == nil {
			t.Errorf("%s: the intermediate is not in %d certificates", form, len(certs))
		}
	}
}

func TestAIAWrongCertificate(t *testing.T) {
	e := newEnv(t, envConfig{})
	// the intermediate's AIA serves the root: asked for the leaf's issuer through a
	// certificate naming the root's URL, nothing fits
	leaf := *e.leaf.cert
	leaf.IssuingCertificateURL = []string{e.base + "/aia/root.der"}
	_, err := e.fetcher().Issuer(bg(), &leaf)
	mustContain(t, err, "AIA "+e.base+"/aia/root.der", "none of the 1 certificates there issued")
	leaf.IssuingCertificateURL = []string{"ldap://ldap.example/cn=CA"}
	_, err = e.fetcher().Issuer(bg(), &leaf)
	mustContain(t, err, "not an http or https URL")
}
