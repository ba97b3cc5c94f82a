//go:build cgo

package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

const testToken = "vbdt-test"

var (
	hsm        *testpki.SoftHSM
	hsmMissing string
)

func setupToken(dir string) error {
	if hsmMissing = testpki.SoftHSMMissing(); hsmMissing != "" {
		return nil
	}
	var err error
	if hsm, err = testpki.LoadSoftHSM(dir+"/softhsm", pkiDir, testToken); err != nil {
		return err
	}
	return os.Setenv("SOFTHSM2_CONF", hsm.Conf)
}

func needToken(t testing.TB) {
	t.Helper()
	testenv.Need(t, hsmMissing)
}

func tokenURI(object string, query ...string) string {
	q := "module-path=" + hsm.Module
	for _, s := range query {
		q += "&" + s
	}
	return fmt.Sprintf("pkcs11:token=%s;object=%s?%s", testToken, object, q)
}

func openToken(t testing.TB, object string) *Key {
	t.Helper()
	k, err := Open(tokenURI(object), Options{Getenv: env("VBDT_PIN", testpki.Password)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func TestPKCS11Sign(t *testing.T) {
	needToken(t)
	for _, role := range testpki.Signers {
		for _, alg := range testpki.Algs {
			object := fmt.Sprintf("%s-%s", role, alg)
			t.Run(object, func(t *testing.T) {
				k := openToken(t, object)
				if len(k.Chain) != 3 {
					t.Fatalf("chain from the token has %d certificates, want 3", len(k.Chain))
				}
				if !strings.Contains(k.URI, "token=vbdt-test") {
					t.Errorf("URI %q", k.URI)
				}
				for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
					checkSigns(t, k, h, h)
					if alg == testpki.RSA {
						checkSigns(t, k, h, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
						checkSigns(t, k, h, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: h})
					}
				}
			})
		}
	}
}

func TestPKCS11SideChain(t *testing.T) {
	needToken(t)
	side := testpki.FilesFor(pkiDir, testpki.Approver, testpki.ECDSA).Cert
	k, err := Open(tokenURI("approver-ecdsa", "cert="+side), Options{Getenv: env("VBDT_PIN", testpki.Password)})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if len(k.Chain) != 3 {
		t.Fatalf("chain %d", len(k.Chain))
	}
}

func TestPKCS11WrongPINIsTriedOnceAndDoesNotLock(t *testing.T) {
	needToken(t)
	prompts := 0
	_, err := Open(tokenURI("approver-rsa"), Options{Getenv: env("VBDT_PIN", "0000"),
		Prompt: func(string) (string, error) { prompts++; return testpki.Password, nil }})
	if !errors.Is(err, ErrPINIncorrect) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want incorrect PIN", err)
	}
	if prompts != 0 {
		t.Fatal("a rejected PIN must not lead to another try")
	}
	if !strings.Contains(err.Error(), "not retried") || !strings.Contains(err.Error(), "tries") {
		t.Errorf("error should say it was not retried and what the token reports of tries: %v", err)
	}
	if strings.Contains(err.Error(), "0000") {
		t.Fatal("error shows the PIN")
	}
	// The token still accepts the right PIN afterwards.
	openToken(t, "approver-rsa")
	toks, err := ListTokens(hsm.Module, Options{Getenv: env()}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if strings.Contains(tok.PINStatus, "locked") {
			t.Fatalf("token %s: %s", tok.Label, tok.PINStatus)
		}
	}
}

func TestPKCS11Errors(t *testing.T) {
	needToken(t)
	pin := Options{Getenv: env("VBDT_PIN", testpki.Password)}
	tests := []struct {
		name, uri string
		opts      Options
		want      error
		text      string
	}{
		{"no terminal", tokenURI("approver-rsa"), Options{Getenv: env()}, ErrNoTerminal, "no terminal"},
		{"token not found", strings.Replace(tokenURI("approver-rsa"), testToken, "nope", 1), pin, ErrUnavailable, `token "nope" not found`},
		{"object not found", tokenURI("nope"), pin, ErrUnavailable, "no private key matching"},
		{"ambiguous", fmt.Sprintf("pkcs11:token=%s?module-path=%s", testToken, hsm.Module), pin, ErrUnavailable, "4 private keys match"},
		{"bad module", "pkcs11:token=x?module-path=/nonexistent/lib.so", pin, ErrUnavailable, "cannot load PKCS#11 module"},
		{"no module", "pkcs11:token=x", Options{Getenv: env(), Probe: func() []string { return nil }}, ErrUnavailable, "no PKCS#11 module found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.uri, tt.opts)
			if !errors.Is(err, tt.want) || err == nil || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.text)
			}
		})
	}
}

func TestListTokens(t *testing.T) {
	needToken(t)
	for _, login := range []bool{true, false} {
		toks, err := ListTokens(hsm.Module, Options{Getenv: env("VBDT_PIN", testpki.Password)}, login)
		if err != nil {
			t.Fatal(err)
		}
		var tok *Token
		for i := range toks {
			if toks[i].Label == testToken {
				tok = &toks[i]
			}
		}
		if tok == nil {
			t.Fatalf("token %s not listed in %+v", testToken, toks)
		}
		if tok.LoggedIn != login {
			t.Errorf("logged in = %v", tok.LoggedIn)
		}
		signers, cas := 0, 0
		for _, k := range tok.Keys {
			switch {
			case k.Match == "yes":
				signers++
				if k.PrivateKey != login {
					t.Errorf("%s: private key shown = %v with login %v", k.Label, k.PrivateKey, login)
				}
				if k.Certificate == nil || k.KeyType == "" || k.KeyBits == 0 || k.URI == "" {
					t.Errorf("%s: incomplete %+v", k.Label, k)
				}
				if _, err := ParseURI(k.URI); err != nil {
					t.Errorf("listed URI %q: %v", k.URI, err)
				}
			case strings.HasPrefix(k.Label, "root-") || strings.HasPrefix(k.Label, "intermediate-"):
				cas++
			default:
				t.Errorf("unexpected entry %+v", k)
			}
		}
		if signers != 4 || cas != 4 {
			t.Errorf("login=%v: %d key/certificate pairs and %d CA certificates, want 4 and 4", login, signers, cas)
		}
		// Keys come before certificate-only entries.
		if tok.Keys[0].Match != "yes" {
			t.Errorf("first entry %q is not a key", tok.Keys[0].Label)
		}
	}
}

// rawSession opens a logged-in R/W session for tests that put objects on the token directly.
func rawSession(t testing.TB) (*pkcs11.Ctx, pkcs11.SessionHandle) {
	t.Helper()
	m, err := loadModule(hsm.Module)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.selectToken(&URI{Attrs: map[string]string{"token": testToken}})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := m.ctx.OpenSession(tok.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.login(sh, tok, testpki.Password); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.ctx.Logout(sh); m.ctx.CloseSession(sh); m.close() })
	return m.ctx, sh
}

// generateOnToken makes a key pair on the token and a certificate for it from the test
// intermediate CA, stored under the same CKA_ID, as a CA would issue for a token key.
func generateOnToken(t *testing.T, label string, id byte, mech uint, pubT, privT []*pkcs11.Attribute) {
	t.Helper()
	ctx, sh := rawSession(t)
	common := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label), pkcs11.NewAttribute(pkcs11.CKA_ID, []byte{id})}
	pubT = append(append(pubT, common...), pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true))
	privT = append(append(privT, common...), pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true), pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true))
	pubH, _, err := ctx.GenerateKeyPair(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, pubT, privT)
	if err != nil {
		t.Fatalf("generate %s: %v", label, err)
	}
	m := &module{ctx: ctx}
	o := object{handle: pubH}
	m.readKey(sh, &o)
	if o.pub == nil {
		t.Fatalf("cannot read the public key of %s", label)
	}
	ca, err := Open("file:"+testpki.FilesFor(pkiDir, testpki.Intermediate, testpki.RSA).P12, Options{Getenv: env("VBDT_PIN", testpki.Password)})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: label + " (TEST)"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Certificate(), o.pub, ca.Signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	if _, err := ctx.CreateObject(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE), pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true), pkcs11.NewAttribute(pkcs11.CKA_VALUE, der),
		pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, cert.RawSubject),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label), pkcs11.NewAttribute(pkcs11.CKA_ID, []byte{id}),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestPKCS11ECDSAP384(t *testing.T) {
	needToken(t)
	oid, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 132, 0, 34})
	generateOnToken(t, "p384", 0x40, pkcs11.CKM_EC_KEY_PAIR_GEN,
		[]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, oid)}, nil)
	k := openToken(t, "p384")
	if pub, ok := k.Public().(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P384() {
		t.Fatalf("public key %T", k.Public())
	}
	checkSigns(t, k, crypto.SHA384, crypto.SHA384)
	checkSigns(t, k, crypto.SHA256, crypto.SHA256)
}

// Qualified tokens mark keys CKA_ALWAYS_AUTHENTICATE: every C_SignInit needs a CKU_CONTEXT_SPECIFIC
// login. SoftHSM2 enforces it, so this exercises the real re-login.
func TestPKCS11AlwaysAuthenticate(t *testing.T) {
	needToken(t)
	generateOnToken(t, "always-auth", 0x41, pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN,
		[]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, 2048), pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1})},
		[]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ALWAYS_AUTHENTICATE, true)})
	k := openToken(t, "always-auth")
	s := k.Signer.(*p11Signer)
	if !s.alwaysAuth {
		t.Fatal("CKA_ALWAYS_AUTHENTICATE not detected")
	}
	// Without the context-specific login the token refuses: the test is not vacuous.
	digest := sha256.Sum256([]byte("x"))
	in := append(append([]byte{}, digestInfoPrefix[crypto.SHA256]...), digest[:]...)
	if err := s.m.ctx.SignInit(s.session, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)}, s.key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.m.ctx.Sign(s.session, in); !isCKR(err, pkcs11.CKR_USER_NOT_LOGGED_IN) {
		t.Fatalf("SoftHSM signed without context-specific login (err %v): cannot test re-login", err)
	}
	for range 3 { // every signature re-authenticates
		checkSigns(t, k, crypto.SHA256, crypto.SHA256)
	}
}

// BenchmarkPKCS11Sign compares vbdt's crypto.Signer with raw miekg/pkcs11 C_SignInit+C_Sign on
// the same SoftHSM2 session and key: the difference is the signer's own cost.
func BenchmarkPKCS11Sign(b *testing.B) {
	needToken(b)
	for _, alg := range testpki.Algs {
		object := "organization-" + string(alg)
		k := openToken(b, object)
		s := k.Signer.(*p11Signer)
		digest := sha256.Sum256([]byte("văn bản"))
		b.Run(string(alg)+"/vbdt-signer", func(b *testing.B) {
			for b.Loop() {
				if _, err := k.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/raw-miekg", func(b *testing.B) {
			mech, in, err := s.mechanism(digest[:], crypto.SHA256)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := s.m.ctx.SignInit(s.session, []*pkcs11.Mechanism{mech}, s.key); err != nil {
					b.Fatal(err)
				}
				if _, err := s.m.ctx.Sign(s.session, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		soft, err := Open("file:"+testpki.FilesFor(pkiDir, testpki.Organization, alg).P12, Options{Getenv: env("VBDT_PIN", testpki.Password)})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(alg)+"/software-key", func(b *testing.B) {
			for b.Loop() {
				if _, err := soft.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
