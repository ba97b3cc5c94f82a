package keys

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

func timeNow() time.Time { return time.Now() }

func TestOpenFileKeys(t *testing.T) {
	for _, alg := range testpki.Algs {
		f := testpki.FilesFor(pkiDir, testpki.Approver, alg)
		for name, uri := range map[string]string{
			"p12":            "file:" + f.P12,
			"pem+chain":      "file:" + f.Key + "?cert=" + f.Cert,
			"pem side chain": "file:" + f.Key + "?cert=" + f.Chain, // chain without the leaf: leaf must come from somewhere
		} {
			t.Run(string(alg)+"/"+name, func(t *testing.T) {
				k, err := Open(uri, Options{Getenv: env("VBDT_PIN", testpki.Password)})
				if name == "pem side chain" {
					if err == nil || !strings.Contains(err.Error(), "does not match") {
						t.Fatalf("a chain without the signer's certificate must be refused, got %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer k.Close()
				if len(k.Chain) != 3 || k.Certificate().Subject.CommonName != "Nguyễn Văn Ấn (TEST)" {
					t.Fatalf("chain %d certs, leaf %q", len(k.Chain), k.Certificate().Subject.CommonName)
				}
				for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
					checkSigns(t, k, h, h)
				}
			})
		}
	}
}

func TestOpenFilePINSources(t *testing.T) {
	p12 := "file:" + testpki.FilesFor(pkiDir, testpki.Organization, testpki.RSA).P12
	pinFile := filepath.Join(t.TempDir(), "pin")
	os.WriteFile(pinFile, []byte(testpki.Password+"\n"), 0o600)
	wrongFile := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrongFile, []byte("0000\n"), 0o600)
	prompted := 0
	prompt := func(string) (string, error) { prompted++; return testpki.Password, nil }

	tests := []struct {
		name    string
		uri     string
		opts    Options
		wantErr error
	}{
		{"pin-source file in URI", p12 + "?pin-source=file:" + pinFile, Options{Getenv: env()}, nil},
		{"pin-source plain path", p12 + "?pin-source=" + pinFile, Options{Getenv: env()}, nil},
		{"profile pin source env", p12, Options{PINSource: "env:MY_PIN", Getenv: env("MY_PIN", testpki.Password)}, nil},
		{"VBDT_PIN", p12, Options{Getenv: env("VBDT_PIN", testpki.Password)}, nil},
		{"URI source wins over VBDT_PIN", p12 + "?pin-source=" + pinFile, Options{Getenv: env("VBDT_PIN", "0000")}, nil},
		{"prompt", p12, Options{Getenv: env(), Prompt: prompt}, nil},
		{"wrong PIN", p12 + "?pin-source=" + wrongFile, Options{Getenv: env(), Prompt: prompt}, ErrPINIncorrect},
		{"no terminal", p12, Options{Getenv: env()}, ErrNoTerminal},
		{"empty env source", p12, Options{PINSource: "env:NOPE", Getenv: env()}, ErrUnavailable},
		{"missing pin file", p12 + "?pin-source=/nonexistent/pin", Options{Getenv: env()}, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := prompted
			k, err := Open(tt.uri, tt.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrUnavailable) {
					t.Fatalf("err = %v, want %v (and key unavailable)", err, tt.wantErr)
				}
				if tt.name == "wrong PIN" && prompted != before {
					t.Fatal("a wrong PIN from a pin source must not fall back to a prompt")
				}
				if strings.Contains(err.Error(), testpki.Password) {
					t.Fatal("error shows the PIN")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			k.Close()
		})
	}
	if prompted != 1 {
		t.Errorf("prompted %d times, want exactly once (the prompt case)", prompted)
	}
}

func TestOpenFileErrors(t *testing.T) {
	dir := t.TempDir()
	approver := testpki.FilesFor(pkiDir, testpki.Approver, testpki.RSA)
	org := testpki.FilesFor(pkiDir, testpki.Organization, testpki.RSA)
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o600)
		return p
	}
	keyPEM, _ := os.ReadFile(approver.Key)
	tests := []struct{ name, uri, want string }{
		{"missing file", "file:" + filepath.Join(dir, "nope.p12"), "no such file"},
		{"not a key", "file:" + write("junk.p12", "hello"), "PKCS#12"},
		{"PEM without key", "file:" + approver.Cert, "no private key"},
		{"key without certificate", "file:" + approver.Key, "no certificate found"},
		{"mismatched certificate", "file:" + approver.Key + "?cert=" + org.Cert, "does not match"},
		{"encrypted PEM", "file:" + write("enc.pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), "encrypted PEM"},
		{"two keys", "file:" + write("two.pem", string(keyPEM)+string(keyPEM)), "more than one private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.uri, Options{Getenv: env("VBDT_PIN", testpki.Password)})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// OpenSSL 3 writes PKCS#12 with PBES2/AES and PBMAC: the files agencies export today.
func TestOpenOpenSSL3PKCS12(t *testing.T) {
	testenv.NeedTools(t, "openssl")
	for _, alg := range testpki.Algs {
		f := testpki.FilesFor(pkiDir, testpki.Approver, alg)
		out := filepath.Join(t.TempDir(), "openssl.p12")
		cmd := exec.Command("openssl", "pkcs12", "-export", "-inkey", f.Key, "-in", f.Cert,
			"-out", out, "-passout", "pass:"+testpki.Password, "-name", "approver")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v: %s", err, b)
		}
		k, err := Open("file:"+out, Options{Getenv: env("VBDT_PIN", testpki.Password)})
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if len(k.Chain) != 3 {
			t.Errorf("chain has %d certificates, want 3", len(k.Chain))
		}
		if _, ok := k.Public().(*rsa.PublicKey); ok {
			checkSigns(t, k, crypto.SHA256, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
		}
		checkSigns(t, k, crypto.SHA256, crypto.SHA256)
	}
}
