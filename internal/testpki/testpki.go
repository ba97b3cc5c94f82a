// Package testpki makes a throwaway PKI shaped like the Vietnamese one, for tests and
// `vbdt demo`: a root and an intermediate CA, an approver's personal certificate, an
// organization certificate, a TSA and an OCSP responder, in RSA-2048 and ECDSA P-256. Every
// name says TEST: these keys must never sign a real document.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/vbdt/vbdt/internal/pki"
)

// Password protects the PKCS#12 files and is the user PIN of the test token.
const Password = "1234"

// Alg is a key algorithm of the test PKI.
type Alg string

const (
	RSA   Alg = "rsa"   // RSA-2048
	ECDSA Alg = "ecdsa" // ECDSA P-256
)

// Algs are all algorithms the test PKI is made in.
var Algs = []Alg{RSA, ECDSA}

// Role names a certificate of the test PKI; files are named <role>-<alg>.*.
type Role string

const (
	Root         Role = "root"
	Intermediate Role = "intermediate"
	Approver     Role = "approver"     // the competent person (người có thẩm quyền)
	Organization Role = "organization" // the agency's seal (chữ ký số của cơ quan)
	TSA          Role = "tsa"
	OCSP         Role = "ocsp"
)

// Signers are the roles that sign documents; they are loaded into the test token.
var Signers = []Role{Approver, Organization}

// Identity is a key and its certificate.
type Identity struct {
	Key  crypto.Signer
	Cert *x509.Certificate
}

// Set is the whole PKI in one algorithm.
type Set struct {
	Alg    Alg
	ids    map[Role]Identity
	roles  []Role        // in the order they were made, for stable listings
	issuer map[Role]Role // "" for the root
}

// Get returns the identity of a role.
func (s *Set) Get(r Role) Identity { return s.ids[r] }

// Issued returns the roles whose certificates issuer signed (the intermediate for Root; the
// end entities, the TSA and the OCSP responder for Intermediate).
func (s *Set) Issued(issuer Role) []Role {
	var out []Role
	for _, r := range s.roles {
		if s.issuer[r] == issuer && r != issuer {
			out = append(out, r)
		}
	}
	return out
}

// Chain returns the role's certificate, the intermediate and the root.
func (s *Set) Chain(r Role) []*x509.Certificate {
	chain := []*x509.Certificate{s.ids[r].Cert}
	if r != Root && r != Intermediate {
		chain = append(chain, s.ids[Intermediate].Cert)
	}
	if r != Root {
		chain = append(chain, s.ids[Root].Cert)
	}
	return chain
}

var (
	oidEKU          = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidCertPolicyVN = asn1.ObjectIdentifier{2, 16, 704, 999, 1} // a made-up test policy under Vietnam's arc
	oidOCSPNoCheck  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
)

func name(cn, org, uid string) pkix.Name {
	n := pkix.Name{Country: []string{"VN"}, Province: []string{"Hà Nội"}, CommonName: cn}
	if org != "" {
		n.Organization = []string{org}
	}
	if uid != "" {
		n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: pki.OIDUserID, Value: uid}}
	}
	return n
}

// URLs are the revocation and issuer services named in certificates, keyed by the role that
// ISSUES them: a certificate signed by Intermediate names u.OCSP[Intermediate] as its OCSP
// responder (AIA), u.CRL[Intermediate] as its CRL distribution point and u.Issuer[Intermediate]
// as where its issuer's certificate is (AIA caIssuers). Long-term validation tests start real
// services on these URLs (see testenv), so they must be known before the PKI is made.
type URLs struct {
	OCSP, CRL, Issuer map[Role]string
}

// Generate makes a new PKI in alg, valid from an hour before now, naming no services.
func Generate(alg Alg, now time.Time) (*Set, error) { return GenerateWith(alg, now, URLs{}) }

// GenerateWith makes a new PKI in alg, valid from an hour before now, whose certificates name
// the services of u.
func GenerateWith(alg Alg, now time.Time, u URLs) (*Set, error) {
	s := &Set{Alg: alg, ids: map[Role]Identity{}, issuer: map[Role]Role{}}
	start := now.Add(-time.Hour).Truncate(time.Second)
	const org = "Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)"
	specs := []struct {
		role   Role
		issuer Role
		tmpl   x509.Certificate
	}{
		{Root, "", x509.Certificate{
			Subject:  name("vbdt Test Root CA — KHÔNG DÙNG THẬT (not for real use)", "vbdt test PKI", ""),
			NotAfter: start.AddDate(20, 0, 0), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}},
		{Intermediate, Root, x509.Certificate{
			Subject:  name("vbdt Test Issuing CA — KHÔNG DÙNG THẬT", "vbdt test PKI", ""),
			NotAfter: start.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}},
		{Approver, Intermediate, x509.Certificate{
			Subject:  name("Nguyễn Văn Ấn (TEST)", "", "CCCD:001085012345"),
			NotAfter: start.AddDate(3, 0, 0), BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}},
		{Organization, Intermediate, x509.Certificate{
			Subject:  name(org, org, "MNS:H99.00.00.TEST"),
			NotAfter: start.AddDate(3, 0, 0), BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}},
		{TSA, Intermediate, x509.Certificate{
			Subject:  name("vbdt Test TSA — KHÔNG DÙNG THẬT", "vbdt test PKI", ""),
			NotAfter: start.AddDate(5, 0, 0), BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtraExtensions: []pkix.Extension{criticalEKU(oidTimeStamping)}}},
		{OCSP, Intermediate, x509.Certificate{
			Subject:  name("vbdt Test OCSP Responder — KHÔNG DÙNG THẬT", "vbdt test PKI", ""),
			NotAfter: start.AddDate(3, 0, 0), BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
			// id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1): the responder's own certificate is not
			// checked for revocation, or a validator would ask the responder about itself.
			ExtraExtensions: []pkix.Extension{{Id: oidOCSPNoCheck, Value: asn1.NullBytes}}}},
	}
	for _, sp := range specs {
		key, err := newKey(alg)
		if err != nil {
			return nil, err
		}
		t := sp.tmpl
		t.NotBefore = start
		if t.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)); err != nil {
			return nil, err
		}
		if !t.IsCA {
			t.PolicyIdentifiers = []asn1.ObjectIdentifier{oidCertPolicyVN}
		}
		if url := u.OCSP[sp.issuer]; url != "" {
			t.OCSPServer = []string{url}
		}
		if url := u.CRL[sp.issuer]; url != "" {
			t.CRLDistributionPoints = []string{url}
		}
		if url := u.Issuer[sp.issuer]; url != "" {
			t.IssuingCertificateURL = []string{url}
		}
		parent, signer := &t, key
		if sp.issuer != "" {
			parent, signer = s.ids[sp.issuer].Cert, s.ids[sp.issuer].Key
		}
		der, err := x509.CreateCertificate(rand.Reader, &t, parent, key.Public(), signer)
		if err != nil {
			return nil, fmt.Errorf("test PKI %s: %w", sp.role, err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		s.ids[sp.role] = Identity{Key: key, Cert: cert}
		s.roles = append(s.roles, sp.role)
		s.issuer[sp.role] = sp.issuer
	}
	return s, nil
}

// criticalEKU encodes an extended key usage extension marked critical (RFC 3161 requires it
// for TSA certificates; x509.CreateCertificate only writes it non-critical).
func criticalEKU(oids ...asn1.ObjectIdentifier) pkix.Extension {
	v, _ := asn1.Marshal(oids)
	return pkix.Extension{Id: oidEKU, Critical: true, Value: v}
}

func newKey(alg Alg) (crypto.Signer, error) {
	switch alg {
	case RSA:
		return rsa.GenerateKey(rand.Reader, 2048)
	case ECDSA:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("unknown test PKI algorithm %q", alg)
}

// Files names the files Write makes for a role.
type Files struct {
	Key   string // PKCS#8 PEM private key
	Cert  string // PEM: the certificate, then the intermediate and root
	P12   string // PKCS#12 with the chain, password Password
	Chain string // PEM: intermediate and root only
}

// FilesFor returns where Write puts the role's files in dir.
func FilesFor(dir string, r Role, alg Alg) Files {
	base := filepath.Join(dir, fmt.Sprintf("%s-%s", r, alg))
	return Files{Key: base + ".key.pem", Cert: base + ".crt.pem", P12: base + ".p12", Chain: base + ".chain.pem"}
}

// Write stores every role of the set in dir.
func (s *Set) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for r, id := range s.ids {
		f := FilesFor(dir, r, s.Alg)
		keyDER, err := x509.MarshalPKCS8PrivateKey(id.Key)
		if err != nil {
			return err
		}
		chain := s.Chain(r)
		p12, err := pkcs12.Modern.Encode(id.Key, id.Cert, chain[1:], Password)
		if err != nil {
			return err
		}
		writes := []struct {
			path string
			data []byte
			perm os.FileMode
		}{
			{f.Key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
			{f.Cert, pemCerts(chain), 0o644},
			{f.Chain, pemCerts(chain[1:]), 0o644},
			{f.P12, p12, 0o600},
		}
		for _, w := range writes {
			if err := os.WriteFile(w.path, w.data, w.perm); err != nil {
				return err
			}
		}
	}
	return nil
}

func pemCerts(certs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// WriteAll generates the PKI in every algorithm and writes it to dir.
func WriteAll(dir string, now time.Time) (map[Alg]*Set, error) {
	return WriteAllWith(dir, now, URLs{})
}

// WriteAllWith is WriteAll with revocation and AIA URLs in the certificates (see GenerateWith).
func WriteAllWith(dir string, now time.Time, u URLs) (map[Alg]*Set, error) {
	sets := map[Alg]*Set{}
	for _, alg := range Algs {
		s, err := GenerateWith(alg, now, u)
		if err != nil {
			return nil, err
		}
		if err := s.Write(dir); err != nil {
			return nil, err
		}
		sets[alg] = s
	}
	return sets, nil
}

// Index returns issuer's certificate database in OpenSSL's CA format (the index.txt of
// `openssl ca` and `openssl ocsp -index`): one line per certificate issuer signed — every
// role it issued, and any other certificate in revoked that it signed — with V (valid) or R
// and the revocation time from revoked. An OCSP responder reading it answers "unknown" for
// serials it does not list. Times are UTCTime, which is all OpenSSL reads for revocation.
func (s *Set) Index(issuer Role, revoked map[*x509.Certificate]time.Time) []byte {
	var b []byte
	for _, c := range s.issuedCerts(issuer, revoked) {
		status, at := "V", ""
		if t, ok := revoked[c]; ok {
			status, at = "R", t.UTC().Format(utcTime)
		}
		b = fmt.Appendf(b, "%s\t%s\t%s\t%s\tunknown\t%s\n", status, c.NotAfter.UTC().Format(utcTime), at,
			strings.ToUpper(c.SerialNumber.Text(16)), c.Subject.String())
	}
	return b
}

// utcTime is ASN.1 UTCTime as OpenSSL writes it in a CA database.
const utcTime = "060102150405Z"

// CRL returns a DER CRL signed by issuer (Root or Intermediate) listing the certificates of
// revoked that it issued, with their revocation times.
func (s *Set) CRL(issuer Role, revoked map[*x509.Certificate]time.Time, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	var entries []x509.RevocationListEntry
	for _, c := range s.issuedCerts(issuer, revoked) {
		if t, ok := revoked[c]; ok {
			entries = append(entries, x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: t})
		}
	}
	id := s.ids[issuer]
	return x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(thisUpdate.Unix()), // increases with every CRL, as RFC 5280 wants
		ThisUpdate:                thisUpdate,
		NextUpdate:                nextUpdate,
		RevokedCertificateEntries: entries,
	}, id.Cert, id.Key)
}

// issuedCerts lists the certificates issuer signed: its roles, then those of extra (which may
// hold certificates made outside the set) not already listed, checked by signature because
// the RSA and ECDSA sets have the same names.
func (s *Set) issuedCerts(issuer Role, extra map[*x509.Certificate]time.Time) []*x509.Certificate {
	var out []*x509.Certificate
	seen := map[*x509.Certificate]bool{}
	for _, r := range s.Issued(issuer) {
		out = append(out, s.ids[r].Cert)
		seen[s.ids[r].Cert] = true
	}
	var more []*x509.Certificate
	for c := range extra {
		if !seen[c] && c.CheckSignatureFrom(s.ids[issuer].Cert) == nil {
			more = append(more, c)
		}
	}
	sort.Slice(more, func(i, j int) bool { return more[i].SerialNumber.Cmp(more[j].SerialNumber) < 0 })
	return append(out, more...)
}
