package cms

import (
	"bytes"
	"crypto"
	"errors"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needOpenSSL skips the test without openssl, except in CI where it fails.
// openssl runs openssl in dir.
func openssl(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyPair makes key.pem and cert.pem in dir with openssl: "rsa" or "ec".
func keyPair(t testing.TB, dir, kind string) {
	newkey := []string{"-newkey", "rsa:2048"}
	if kind == "ec" {
		newkey = []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}
	}
	openssl(t, dir, append(append([]string{"req", "-x509"}, newkey...),
		"-keyout", "key.pem", "-out", "cert.pem", "-nodes", "-subj", "/CN=OpenSSL Signer/O=Test/C=VN", "-days", "2")...)
}

func TestOpenSSLCMS(t *testing.T) {
	testenv.NeedTools(t, "openssl")
	dir := t.TempDir()
	data := []byte("%PDF-1.7 nội dung văn bản\n")
	if err := os.WriteFile(filepath.Join(dir, "data"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	rsaDir, ecDir := filepath.Join(dir, "rsa"), filepath.Join(dir, "ec")
	os.Mkdir(rsaDir, 0o700)
	os.Mkdir(ecDir, 0o700)
	keyPair(t, rsaDir, "rsa")
	keyPair(t, ecDir, "ec")
	for _, tc := range []struct {
		name     string
		dir      string
		args     []string
		findings []string
		attached bool
		hash     crypto.Hash
	}{
		{name: "rsa", dir: rsaDir},
		{name: "rsa-sha384", dir: rsaDir, args: []string{"-md", "sha384"}, hash: crypto.SHA384},
		{name: "rsa-nodetach", dir: rsaDir, args: []string{"-nodetach"}, attached: true},
		{name: "rsa-keyid", dir: rsaDir, args: []string{"-keyid"}, findings: []string{"signer-by-ski"}},
		{name: "rsa-pss", dir: rsaDir, args: []string{"-keyopt", "rsa_padding_mode:pss"}},
		{name: "rsa-pss-saltmax", dir: rsaDir, args: []string{"-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:max"}},
		{name: "rsa-noattr", dir: rsaDir, args: []string{"-noattr"}},
		{name: "rsa-indef-nodetach", dir: rsaDir, args: []string{"-nodetach", "-stream"}, attached: true, findings: []string{"ber"}},
		{name: "ec", dir: ecDir},
		{name: "ec-keyid-nodetach", dir: ecDir, args: []string{"-keyid", "-nodetach"}, attached: true, findings: []string{"signer-by-ski"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.hash
			if h == 0 {
				h = crypto.SHA256
			}
			args := []string{"cms", "-sign", "-binary", "-nosmimecap", "-md", "sha256", "-in", "../data",
				"-signer", "cert.pem", "-inkey", "key.pem", "-outform", "DER", "-out", tc.name + ".der"}
			args = append(args, tc.args...)
			openssl(t, tc.dir, args...)
			der := readFile(t, filepath.Join(tc.dir, tc.name+".der"))
			sd, si, cert := parseOne(t, der, tc.findings...)
			if tc.attached != (sd.Content != nil) || tc.attached && !bytes.Equal(sd.Content, data) {
				t.Fatalf("content %q", sd.Content)
			}
			if got, err := si.Hash(); err != nil || got != h {
				t.Fatalf("hash %v %v", got, err)
			}
			digest := digestOf(h, data)
			if err := si.Verify(cert, digest); err != nil {
				t.Fatal(err)
			}
			want := ErrDigestMismatch
			if si.RawSignedAttrs == nil {
				want = ErrSignature // the digest is only in the signature value
			}
			if err := si.Verify(cert, digestOf(h, data[1:])); !errors.Is(err, want) {
				t.Fatalf("wrong digest: %v", err)
			}
			if tc.name != "rsa-noattr" {
				if _, ok := si.SigningTime(); !ok {
					t.Error("no signing time")
				}
				if present, err := si.CheckSigningCertificate(cert); err != nil {
					t.Errorf("signing certificate (present %v): %v", present, err)
				}
			}
		})
	}
}

// tsaConfig is an openssl configuration for `openssl ts -reply`.
const tsaConfig = `
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = .
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.pem
certs = ./tsa.pem
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha1, sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = ESSALG
`

// openSSLToken makes an RFC 3161 token over data with openssl, its TSA certificate using ESS
// signing-certificate (alg "sha1") or signing-certificate-v2 ("sha256").
func openSSLToken(t testing.TB, data []byte, essAlg string) []byte {
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		"data": data, "serial": []byte("01\n"), "tsa.cnf": []byte(strings.ReplaceAll(tsaConfig, "ESSALG", essAlg)),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	openssl(t, dir, "req", "-x509", "-newkey", "rsa:2048", "-keyout", "tsa.key", "-out", "tsa.pem", "-nodes",
		"-subj", "/CN=Test TSA/C=VN", "-days", "2", "-addext", "extendedKeyUsage=critical,timeStamping")
	openssl(t, dir, "ts", "-query", "-data", "data", "-sha256", "-cert", "-out", "req.tsq")
	openssl(t, dir, "ts", "-reply", "-queryfile", "req.tsq", "-config", "tsa.cnf", "-token_out", "-out", "token.der")
	return readFile(t, filepath.Join(dir, "token.der"))
}

func TestOpenSSLTimestamp(t *testing.T) {
	testenv.NeedTools(t, "openssl")
	data := []byte("the signature value")
	for _, alg := range []string{"sha256", "sha1"} {
		t.Run(alg, func(t *testing.T) {
			token := openSSLToken(t, data, alg)
			ts, err := ParseTimestamp(token, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts.SignedData.Findings) != 0 {
				t.Errorf("findings %v", ts.SignedData.Findings)
			}
			if !ts.Covers(data) || ts.Covers(data[1:]) {
				t.Fatal("Covers")
			}
			i := ts.Info
			if i.Hash != crypto.SHA256 || i.Policy.String() != "1.2.3.4.1" || i.Serial.Sign() <= 0 || i.Nonce == nil ||
				i.TSAName == nil || i.Accuracy.String() != "1.5001s" || i.GenTime.IsZero() || ts.Signer.Subject.CommonName != "Test TSA" {
				t.Fatalf("TSTInfo %+v", i)
			}
			if present, err := ts.SignedData.Signers[0].CheckSigningCertificate(ts.Signer); !present || err != nil {
				t.Fatalf("ESS signing certificate: %v %v", present, err)
			}
			// a tampered TSTInfo: the message imprint
			at := bytes.Index(token, i.HashedMessage)
			if at < 0 {
				t.Fatal("no imprint in the token")
			}
			bad := bytes.Clone(token)
			bad[at] ^= 1
			if _, err := ParseTimestamp(bad, nil); !errors.Is(err, ErrDigestMismatch) {
				t.Fatalf("tampered token: %v", err)
			}
			// a token is not a signature of data, and a signature is not a token
			if _, err := ParseTimestamp(build(t, testKeys(t)["p256"], crypto.SHA256, false, data), nil); err == nil {
				t.Fatal("a plain signature taken for a timestamp")
			}
		})
	}
}
