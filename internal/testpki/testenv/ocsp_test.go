package testenv

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/vbdt/vbdt/internal/testpki"
)

// TestGenerateWithURLs checks that a certificate names the services of the role that issued
// it, and that Generate names none.
func TestGenerateWithURLs(t *testing.T) {
	now := time.Now()
	u := testpki.URLs{
		OCSP:   map[testpki.Role]string{testpki.Root: "http://root.test/ocsp", testpki.Intermediate: "http://ca.test/ocsp"},
		CRL:    map[testpki.Role]string{testpki.Intermediate: "http://ca.test/ca.crl"},
		Issuer: map[testpki.Role]string{testpki.Intermediate: "http://ca.test/ca.cer"},
	}
	set, err := testpki.GenerateWith(testpki.ECDSA, now, u)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role              testpki.Role
		ocsp, crl, issuer []string
	}{
		{testpki.Root, nil, nil, nil},
		{testpki.Intermediate, []string{"http://root.test/ocsp"}, nil, nil},
		{testpki.Approver, []string{"http://ca.test/ocsp"}, []string{"http://ca.test/ca.crl"}, []string{"http://ca.test/ca.cer"}},
		{testpki.OCSP, []string{"http://ca.test/ocsp"}, []string{"http://ca.test/ca.crl"}, []string{"http://ca.test/ca.cer"}},
	} {
		c := set.Get(tc.role).Cert
		if !slices.Equal(c.OCSPServer, tc.ocsp) || !slices.Equal(c.CRLDistributionPoints, tc.crl) || !slices.Equal(c.IssuingCertificateURL, tc.issuer) {
			t.Errorf("%s: OCSP %q CRL %q issuer %q, want %q %q %q", tc.role,
				c.OCSPServer, c.CRLDistributionPoints, c.IssuingCertificateURL, tc.ocsp, tc.crl, tc.issuer)
		}
	}
	if got := set.Issued(testpki.Root); !slices.Equal(got, []testpki.Role{testpki.Intermediate}) {
		t.Errorf("Issued(Root) = %v", got)
	}
	plain, err := testpki.Generate(testpki.ECDSA, now)
	if err != nil {
		t.Fatal(err)
	}
	if c := plain.Get(testpki.Approver).Cert; len(c.OCSPServer)+len(c.CRLDistributionPoints)+len(c.IssuingCertificateURL) > 0 {
		t.Errorf("Generate names services: %q %q %q", c.OCSPServer, c.CRLDistributionPoints, c.IssuingCertificateURL)
	}
}

// TestIndex checks the OpenSSL CA database lines: every certificate the issuer signed,
// revoked ones with their revocation time, serials in upper-case hex.
func TestIndex(t *testing.T) {
	set, err := testpki.Generate(testpki.RSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	org := set.Get(testpki.Organization).Cert
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("ICT", 7*3600))
	lines := strings.Split(strings.TrimSuffix(string(set.Index(testpki.Intermediate, map[*x509.Certificate]time.Time{org: at})), "\n"), "\n")
	if len(lines) != len(set.Issued(testpki.Intermediate)) {
		t.Fatalf("%d lines for %d certificates:\n%s", len(lines), len(set.Issued(testpki.Intermediate)), strings.Join(lines, "\n"))
	}
	want := fmt.Sprintf("R\t%s\t260303220607Z\t%X\tunknown\t%s", org.NotAfter.UTC().Format("060102150405Z"), org.SerialNumber, org.Subject)
	if !slices.Contains(lines, want) {
		t.Errorf("no line %q in\n%s", want, strings.Join(lines, "\n"))
	}
	ap := set.Get(testpki.Approver).Cert
	want = fmt.Sprintf("V\t%s\t\t%X\tunknown\t%s", ap.NotAfter.UTC().Format("060102150405Z"), ap.SerialNumber, ap.Subject)
	if !slices.Contains(lines, want) {
		t.Errorf("no line %q in\n%s", want, strings.Join(lines, "\n"))
	}
	if root := string(set.Index(testpki.Root, nil)); strings.Count(root, "\n") != 1 || !strings.HasPrefix(root, "V\t") {
		t.Errorf("the root's index should list the intermediate alone, valid:\n%s", root)
	}
}

// TestOCSP asks openssl responders for the intermediate's and the root's certificates, in
// both algorithms: good, revoked at the right time, unknown for a serial neither issued, each
// answer signed by the delegated responder or the root itself (and carrying its certificate); the proxy counts the requests,
// and Close stops the responder.
func TestOCSP(t *testing.T) {
	NeedTools(t, "openssl")
	for _, alg := range testpki.Algs {
		t.Run(string(alg), func(t *testing.T) {
			epCA, epRoot := Reserve(t), Reserve(t)
			set, err := testpki.GenerateWith(alg, time.Now(), testpki.URLs{
				OCSP: map[testpki.Role]string{testpki.Intermediate: epCA.URL, testpki.Root: epRoot.URL},
			})
			if err != nil {
				t.Fatal(err)
			}
			ca, root := set.Get(testpki.Intermediate).Cert, set.Get(testpki.Root).Cert
			org := set.Get(testpki.Organization).Cert
			revokedAt := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
			revoked := map[*x509.Certificate]time.Time{org: revokedAt}
			caOCSP := StartOCSP(t, epCA, set, testpki.Intermediate, revoked)
			rootOCSP := StartOCSP(t, epRoot, set, testpki.Root, revoked)

			stranger := *set.Get(testpki.Approver).Cert
			stranger.SerialNumber = big.NewInt(0x1234567)
			for _, tc := range []struct {
				cert, issuer *x509.Certificate
				status       int
				signer       *x509.Certificate // the certificate the answer carries, whose key signed it
			}{
				{set.Get(testpki.Approver).Cert, ca, ocsp.Good, set.Get(testpki.OCSP).Cert},
				{org, ca, ocsp.Revoked, set.Get(testpki.OCSP).Cert},
				{&stranger, ca, ocsp.Unknown, set.Get(testpki.OCSP).Cert},
				{ca, root, ocsp.Good, root},
			} {
				// ParseResponseForCert checks the signature: by issuer, or by a responder
				// certificate issuer signed for OCSP signing.
				resp, err := ocsp.ParseResponseForCert(askOCSP(t, tc.cert.OCSPServer[0], tc.cert, tc.issuer), tc.cert, tc.issuer)
				if err != nil {
					t.Fatalf("%s: %v", tc.cert.Subject.CommonName, err)
				}
				if resp.Status != tc.status {
					t.Errorf("%s: status %d, want %d", tc.cert.Subject.CommonName, resp.Status, tc.status)
				}
				if tc.status == ocsp.Revoked && !resp.RevokedAt.Equal(revokedAt) {
					t.Errorf("revoked at %v, want %v", resp.RevokedAt, revokedAt)
				}
				if resp.Certificate == nil || !tc.signer.Equal(resp.Certificate) {
					t.Errorf("%s: the answer does not carry %s", tc.cert.Subject.CommonName, tc.signer.Subject.CommonName)
				} else if err := resp.CheckSignatureFrom(tc.signer); err != nil {
					t.Errorf("%s: %v", tc.cert.Subject.CommonName, err)
				}
				if d := resp.NextUpdate.Sub(resp.ThisUpdate); d != time.Hour {
					t.Errorf("valid for %v, want an hour", d)
				}
			}
			if caOCSP.Requests() != 3 || rootOCSP.Requests() != 1 {
				t.Errorf("requests counted: %d and %d, want 3 and 1", caOCSP.Requests(), rootOCSP.Requests())
			}

			caOCSP.Close()
			if caOCSP.cmd.ProcessState == nil {
				t.Error("Close left openssl running")
			}
			if _, err := http.Get(epCA.URL); err == nil {
				t.Error("the responder still answers after Close")
			}
		})
	}
}

// askOCSP posts an OCSP request for cert to url and returns the raw answer.
func askOCSP(t *testing.T, url string, cert, issuer *x509.Certificate) []byte {
	t.Helper()
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("OCSP %s: %s %v\n%s", url, resp.Status, err, body)
	}
	return body
}

// TestCRLAndIssuer serves the intermediate's CRL and certificate where the approver's
// certificate says they are, and checks what a validator fetching them gets.
func TestCRLAndIssuer(t *testing.T) {
	epCRL, epAIA := Reserve(t), Reserve(t)
	set, err := testpki.GenerateWith(testpki.RSA, time.Now(), testpki.URLs{
		CRL:    map[testpki.Role]string{testpki.Intermediate: epCRL.URL + "/ca.crl"},
		Issuer: map[testpki.Role]string{testpki.Intermediate: epAIA.URL + "/ca.cer"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ca, ap, org := set.Get(testpki.Intermediate).Cert, set.Get(testpki.Approver).Cert, set.Get(testpki.Organization).Cert
	revokedAt := time.Now().Add(-time.Hour).Truncate(time.Second)
	other, err := testpki.Generate(testpki.RSA, time.Now()) // same names, other keys: not listed
	if err != nil {
		t.Fatal(err)
	}
	this, next := time.Now().Truncate(time.Second), time.Now().Add(2*time.Hour).Truncate(time.Second)
	der, err := set.CRL(testpki.Intermediate, map[*x509.Certificate]time.Time{org: revokedAt, other.Get(testpki.Approver).Cert: revokedAt}, this, next)
	if err != nil {
		t.Fatal(err)
	}
	crlSrv, aiaSrv := ServeCRL(t, epCRL, der), ServeIssuer(t, epAIA, ca)

	crl, err := x509.ParseRevocationList(get(t, ap.CRLDistributionPoints[0], "application/pkix-crl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	if !crl.ThisUpdate.Equal(this) || !crl.NextUpdate.Equal(next) {
		t.Errorf("CRL valid %v to %v, want %v to %v", crl.ThisUpdate, crl.NextUpdate, this, next)
	}
	if n := len(crl.RevokedCertificateEntries); n != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(org.SerialNumber) != 0 ||
		!crl.RevokedCertificateEntries[0].RevocationTime.Equal(revokedAt) {
		t.Errorf("CRL lists %+v, want the organization alone, revoked at %v", crl.RevokedCertificateEntries, revokedAt)
	}

	got, err := x509.ParseCertificate(get(t, ap.IssuingCertificateURL[0], "application/pkix-cert"))
	if err != nil || !got.Equal(ca) {
		t.Errorf("the AIA URL serves %v (%v), not the intermediate", got, err)
	}
	if ap.CheckSignatureFrom(got) != nil {
		t.Error("the served issuer did not sign the approver's certificate")
	}
	if crlSrv.Requests() != 1 || aiaSrv.Requests() != 1 {
		t.Errorf("requests counted: %d and %d, want 1 and 1", crlSrv.Requests(), aiaSrv.Requests())
	}
}

func get(t *testing.T, url, contentType string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != contentType {
		t.Fatalf("GET %s: %s %q %v", url, resp.Status, resp.Header.Get("Content-Type"), err)
	}
	return body
}
