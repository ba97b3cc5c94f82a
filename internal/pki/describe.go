package pki

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// CertSummary is what a person needs to recognize a certificate.
type CertSummary struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	CommonName  string    `json:"common_name"`
	UserID      string    `json:"user_id,omitempty"` // e.g. CCCD:001085012345
	Serial      string    `json:"serial"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	KeyType     string    `json:"key_type"`
	KeyBits     int       `json:"key_bits"`
	KeyUsage    []string  `json:"key_usage,omitempty"`
	ExtKeyUsage []string  `json:"ext_key_usage,omitempty"`
	IsCA        bool      `json:"is_ca"`
	SHA256      string    `json:"sha256"`
}

// Summarize describes c.
func Summarize(c *x509.Certificate) CertSummary {
	kt, bits := KeyTypeOf(c.PublicKey)
	return CertSummary{
		Subject:     FormatName(c.RawSubject),
		Issuer:      FormatName(c.RawIssuer),
		CommonName:  c.Subject.CommonName,
		UserID:      NameAttr(c.Subject, OIDUserID),
		Serial:      strings.ToUpper(c.SerialNumber.Text(16)),
		NotBefore:   c.NotBefore,
		NotAfter:    c.NotAfter,
		KeyType:     kt,
		KeyBits:     bits,
		KeyUsage:    keyUsages(c.KeyUsage),
		ExtKeyUsage: extKeyUsages(c),
		IsCA:        c.IsCA,
		SHA256:      Fingerprint(c),
	}
}

// Validity says whether c is valid at t, in words.
func Validity(c *x509.Certificate, t time.Time) string {
	switch {
	case t.Before(c.NotBefore):
		return "not yet valid"
	case t.After(c.NotAfter):
		return "expired"
	}
	return "valid"
}

// KeyTypeOf names a public key's algorithm and size.
func KeyTypeOf(pub any) (string, int) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name, k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	}
	return fmt.Sprintf("%T", pub), 0
}

func keyUsages(ku x509.KeyUsage) []string {
	names := []string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

func extKeyUsages(c *x509.Certificate) []string {
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "serverAuth",
		x509.ExtKeyUsageClientAuth: "clientAuth", x509.ExtKeyUsageCodeSigning: "codeSigning",
		x509.ExtKeyUsageEmailProtection: "emailProtection", x509.ExtKeyUsageTimeStamping: "timeStamping",
		x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
	}
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("eku(%d)", u))
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return out
}

// TrustResult says where a chain leads.
type TrustResult struct {
	// Root is the top of the path found (a self-signed certificate or a configured anchor),
	// nil when the chain reaches no root.
	Root *x509.Certificate
	// Pinned is the pinned root whose fingerprint Root has, nil if none.
	Pinned *PinnedRoot
	// Anchor reports whether Root is one of the configured trust anchors.
	Anchor bool
	// Problem explains a chain that does not verify, "" if it does.
	Problem string
}

// Trace follows chain (leaf first) to a root among the chain's own certificates and anchors,
// checking signatures, and says whether that root is pinned or a configured anchor.
// Validity periods are checked at the leaf's mid-life, so an expired test certificate still
// shows where it leads; the verifier judges time separately.
func Trace(chain, anchors []*x509.Certificate, pinned []PinnedRoot) TrustResult {
	if len(chain) == 0 {
		return TrustResult{Problem: "no certificate"}
	}
	leaf := chain[0]
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, a := range anchors {
		roots.AddCert(a)
	}
	for _, c := range chain[1:] {
		if isSelfSigned(c) {
			roots.AddCert(c)
		} else {
			inter.AddCert(c)
		}
	}
	if isSelfSigned(leaf) {
		roots.AddCert(leaf)
	}
	mid := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	paths, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		CurrentTime: mid, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return TrustResult{Problem: err.Error()}
	}
	// Prefer a path to a pinned root, then to an anchor.
	var best TrustResult
	for _, p := range paths {
		r := TrustResult{Root: p[len(p)-1]}
		fp := Fingerprint(r.Root)
		for i := range pinned {
			if pinned[i].SHA256 == fp {
				r.Pinned = &pinned[i]
			}
		}
		for _, a := range anchors {
			if a.Equal(r.Root) {
				r.Anchor = true
			}
		}
		if best.Root == nil || (r.Pinned != nil && best.Pinned == nil) || (r.Anchor && !best.Anchor && best.Pinned == nil) {
			best = r
		}
	}
	return best
}
