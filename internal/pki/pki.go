// Package pki holds what vbdt knows about X.509 independent of where a key lives: names with
// Vietnamese attributes, the pinned Vietnamese roots, chain ordering and certificate summaries.
package pki

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
)

// PinnedRoot is a root CA known by its SHA-256 fingerprint, so that a root certificate a user
// downloaded can be recognized as the genuine one (DOMAIN.md §5).
type PinnedRoot struct {
	Name    string
	Subject string
	SHA256  string // upper-case hex of the DER certificate's SHA-256
}

// VietnamRoots returns the roots of the Vietnamese public and government PKIs.
func VietnamRoots() []PinnedRoot {
	return []PinnedRoot{
		{
			Name:    "Vietnam National Root CA (NEAC, public CAs)",
			Subject: "CN=Vietnam National Root CA, OU=National Centre of Digital Signature Authentication, O=Ministry of Information and Communications, C=VN",
			SHA256:  "BAC8BF609AB420A8EE1780D74F4DE5C7F7184959D2A7375B0A75E4C29F0908E7",
		},
		{
			Name:    "RootCA chuyên dùng Chính phủ G2 (Ban Cơ yếu Chính phủ)",
			Subject: "CN=RootCA chuyên dùng Chính phủ G2, O=Ban Cơ yếu Chính phủ, C=VN",
			SHA256:  "F04BA4B459A7C9A1B971AD9B1CB833E695A80C79AEA63B174B66A70EDFE2FDB8",
		},
	}
}

// Fingerprint is the upper-case hex SHA-256 of the certificate's DER.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

var attrNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.17":                   "postalCode",
	"2.5.4.42":                   "GN",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "E",
}

// OIDUserID is the UID attribute where Vietnamese certificates carry national IDs (CCCD:…, MST:…).
var OIDUserID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// FormatName renders a DER-encoded distinguished name (a certificate's RawSubject or
// RawIssuer) most-specific first (CN before C), with UTF-8 values printed as they are, so
// Vietnamese names read correctly.
func FormatName(raw []byte) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) > 0 {
		return fmt.Sprintf("(unparseable name: %x)", raw)
	}
	var parts []string
	for i := len(rdns) - 1; i >= 0; i-- {
		var atvs []string
		for _, atv := range rdns[i] {
			key, ok := attrNames[atv.Type.String()]
			if !ok {
				key = atv.Type.String()
			}
			atvs = append(atvs, key+"="+escape(fmt.Sprint(atv.Value)))
		}
		parts = append(parts, strings.Join(atvs, "+"))
	}
	return strings.Join(parts, ", ")
}

func escape(v string) string { return dnEscaper.Replace(v) }

var dnEscaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `+`, `\+`, `"`, `\"`, `<`, `\<`, `>`, `\>`, `;`, `\;`)

// NameAttr returns the first value of the attribute oid in n, or "".
func NameAttr(n pkix.Name, oid asn1.ObjectIdentifier) string {
	for _, atv := range n.Names {
		if atv.Type.Equal(oid) {
			return fmt.Sprint(atv.Value)
		}
	}
	return ""
}

// OrderChain returns leaf followed by the issuers found in pool, each the issuer of the one
// before, stopping at a self-signed certificate or when no issuer is found. Certificates of the
// pool that are not on the path are left out.
func OrderChain(leaf *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{leaf}
	cur := leaf
	for len(chain) <= len(pool) {
		if isSelfSigned(cur) {
			break
		}
		var next *x509.Certificate
		for _, c := range pool {
			if !inChain(chain, c) && bytes.Equal(c.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}

func inChain(chain []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range chain {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}
