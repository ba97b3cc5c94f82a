package testenv

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vbdt/vbdt/internal/testpki"
)

// pdfsigNick is the nickname of the signing key and certificate in the NSS database.
const pdfsigNick = "signer"

// PdfsigSign signs in into out with poppler's pdfsig, a PDF signer independent of vbdt's own
// (NSS's CMS), as role of set with SHA-256; extra goes to pdfsig as is (e.g.
// -new-signature-field-name NAME). pdfsig signs incrementally, in a new signature field, so
// the document needs none; the signature is adbe.pkcs7.detached, as pdfsig 22.12 refuses
// -etsi with -add-signature. A failure fails t; a missing pdfsig, openssl, certutil or
// pk12util skips it (fails it in CI).
func PdfsigSign(t testing.TB, in, out string, set *testpki.Set, role testpki.Role, extra ...string) {
	t.Helper()
	NeedTools(t, "pdfsig", "openssl", "certutil", "pk12util")
	db := nssDB(t, set, role)
	args := append([]string{"-add-signature", "-nssdir", db, "-nick", pdfsigNick, "-digest", "SHA256",
		"-reason", "TEST — signed by poppler's pdfsig"}, extra...)
	// pdfsig's exit status does tell whether signing failed; NSS_Shutdown complaints on
	// standard error do not matter. Poppler 22.12 (Debian 12) sizes /Contents from a trial
	// signature and gives up when the real one is not exactly as long, which DER ECDSA
	// signatures (70 to 72 bytes for P-256) often are not: 12 tries in 20 failed so. Trying
	// again is all there is to it; 30 tries all fail about once in a million runs.
	for try := 1; ; try++ {
		b, err := exec.Command("pdfsig", append(args, in, out)...).CombinedOutput()
		if err == nil {
			break
		}
		if try == 30 || !bytes.Contains(b, []byte("unable update signature")) {
			t.Fatalf("pdfsig %q (try %d): %v\n%s", args, try, err, b)
		}
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("pdfsig wrote no %s: %v", out, err)
	}
}

// nssDB makes a throwaway NSS database ("sql:DIR", what pdfsig's -nssdir takes) holding role's
// key and certificate as pdfsigNick, and set's root and intermediate trusted as CAs, so that
// pdfsig -nssdir can also judge the signer's certificate trusted.
func nssDB(t testing.TB, set *testpki.Set, role testpki.Role) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "nssdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	db := "sql:" + filepath.Join(dir, "nssdb")
	run := func(name string, args ...string) {
		t.Helper()
		if b, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, b)
		}
	}
	write := func(name, typ string, der []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run("certutil", "-N", "--empty-password", "-d", db)
	for _, ca := range []testpki.Role{testpki.Root, testpki.Intermediate} {
		run("certutil", "-A", "-d", db, "-n", string(ca), "-t", "CT,C,C", "-i", write(string(ca)+".pem", "CERTIFICATE", set.Get(ca).Cert.Raw))
	}
	// openssl rather than go-pkcs12, which cannot name the key (PKCS#12 friendlyName): NSS
	// would name it after the subject. The file holds the key and certificate only, so that
	// the CAs keep the names and trust given above.
	id := set.Get(role)
	key, err := x509.MarshalPKCS8PrivateKey(id.Key)
	if err != nil {
		t.Fatal(err)
	}
	p12 := filepath.Join(dir, "signer.p12")
	run("openssl", "pkcs12", "-export", "-name", pdfsigNick, "-inkey", write("signer.key", "PRIVATE KEY", key),
		"-in", write("signer.pem", "CERTIFICATE", id.Cert.Raw), "-passout", "pass:"+testpki.Password, "-out", p12)
	run("pk12util", "-i", p12, "-d", db, "-W", testpki.Password)
	return db
}
