package evidence

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOfflineWithFiles(t *testing.T) {
	e := newEnv(t, envConfig{})
	dir := t.TempDir()
	paths := []string{
		writeDER(t, dir, "leaf.ocsp", e.ocspDER(t, e.leaf.cert, e.inter.cert)),
		writePEM(t, dir, "inter.ocsp.pem", "OCSP RESPONSE", e.ocspDER(t, e.inter.cert, e.root.cert)),
		writeDER(t, dir, "chain.p7c", pkcs7Certs(e.inter.cert)),
		writePEM(t, dir, "root.pem", "CERTIFICATE", e.root.cert.Raw),
		writePEM(t, dir, "inter.crl.pem", "X509 CRL", e.crl(e.inter, "")),
	}
	fs, err := LoadFiles(paths)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs.Certs) != 2 || len(fs.OCSPs) != 2 || len(fs.CRLs) != 1 {
		t.Fatalf("loaded %d certificates, %d OCSP answers, %d CRLs", len(fs.Certs), len(fs.OCSPs), len(fs.CRLs))
	}
	f := &Fetcher{Offline: true, Files: fs, Now: e.now}
	m, err := f.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Certs) != 4 || len(m.OCSPs) != 2 || len(m.Status) != 2 {
		t.Fatalf("%d certificates, %d OCSP answers, %d statuses", len(m.Certs), len(m.OCSPs), len(m.Status))
	}
	if st := m.Status[0]; st.State != Good || st.Source != "OCSP file "+paths[0] {
		t.Errorf("leaf: %+v", st)
	}
	if st := m.Status[1]; st.State != Good || st.Source != "OCSP file "+paths[1] {
		t.Errorf("intermediate: %+v", st)
	}
	if f.Requests() != 0 || e.count("/ocsp")+e.count("/aia/inter.der") != 0 {
		t.Errorf("offline, yet %d requests made", f.Requests())
	}

	// the CRL given as a file stands in for a missing OCSP answer
	fs2, err := LoadFiles([]string{paths[1], paths[2], paths[3], paths[4]})
	if err != nil {
		t.Fatal(err)
	}
	m, err = (&Fetcher{Offline: true, Files: fs2, Now: e.now}).Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now())
	if err != nil {
		t.Fatal(err)
	}
	if st := m.Status[0]; st.State != Good || st.Source != "CRL file "+paths[4] || len(m.CRLs) != 1 {
		t.Errorf("leaf: %+v", st)
	}
}

func TestOfflineMissingEvidence(t *testing.T) {
	e := newEnv(t, envConfig{})
	dir := t.TempDir()
	fs, err := LoadFiles([]string{
		writeDER(t, dir, "leaf.ocsp", e.ocspDER(t, e.leaf.cert, e.inter.cert)),
		writeDER(t, dir, "inter.der", e.inter.cert.Raw),
		writeDER(t, dir, "root.der", e.root.cert.Raw),
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{Offline: true, Files: fs, Now: e.now}
	m, err := f.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now())
	var missing *MissingError
	if !errors.As(err, &missing) || len(missing.Missing) != 1 || !missing.Missing[0].Cert.Equal(e.inter.cert) {
		t.Fatalf("error %v", err)
	}
	mustContain(t, err, "Test Issuing CA", "offline")
	if m == nil || m.Status[0].State != Good {
		t.Errorf("what was found is not kept: %+v", m)
	}
	// without the intermediate, the chain stops: that is missing evidence too
	fs.Certs = nil
	_, err = f.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now())
	mustContain(t, err, e.leaf.cert.Subject.CommonName, `its issuer "Test Issuing CA" cannot be found`, "offline")
	if f.Requests() != 0 || e.count("/ocsp") != 0 {
		t.Error("offline, yet requests were made")
	}
}

func TestLoadFilesRejects(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.bin")
	os.WriteFile(junk, []byte("not evidence"), 0o644)
	_, err := LoadFiles([]string{junk})
	mustContain(t, err, junk, "neither a certificate")
	key := writePEM(t, dir, "key.pem", "PRIVATE KEY", []byte{1, 2, 3})
	_, err = LoadFiles([]string{key})
	mustContain(t, err, "PRIVATE KEY", "not a certificate, CRL or OCSP response")
	_, err = LoadFiles([]string{filepath.Join(dir, "missing.der")})
	if err == nil || !strings.Contains(err.Error(), "missing.der") {
		t.Errorf("error %v", err)
	}
}
