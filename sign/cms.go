package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"sort"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/vbdt/vbdt/internal/batch"
)

var (
	oidData                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidTimeStampToken       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidRSASSAPSS            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
)

var digestOID = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

var rsaOID = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA256: {1, 2, 840, 113549, 1, 1, 11},
	crypto.SHA384: {1, 2, 840, 113549, 1, 1, 12},
	crypto.SHA512: {1, 2, 840, 113549, 1, 1, 13},
}

var ecdsaOID = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA256: {1, 2, 840, 10045, 4, 3, 2},
	crypto.SHA384: {1, 2, 840, 10045, 4, 3, 3},
	crypto.SHA512: {1, 2, 840, 10045, 4, 3, 4},
}

func addAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, params func(*cryptobyte.Builder)) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if params != nil {
			params(b)
		}
	})
}

func addNull(b *cryptobyte.Builder) { b.AddASN1NULL() }

// signatureAlgorithm writes the signatureAlgorithm of a SignerInfo for the key and options.
func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash, pss bool) (func(*cryptobyte.Builder), error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		if pss {
			return func(b *cryptobyte.Builder) {
				addAlgorithm(b, oidRSASSAPSS, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							addAlgorithm(b, digestOID[h], addNull)
						})
						b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							addAlgorithm(b, oidMGF1, func(b *cryptobyte.Builder) { addAlgorithm(b, digestOID[h], addNull) })
						})
						b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddASN1Int64(int64(h.Size()))
						})
					})
				})
			}, nil
		}
		return func(b *cryptobyte.Builder) { addAlgorithm(b, rsaOID[h], addNull) }, nil
	case *ecdsa.PublicKey:
		if pss {
			return nil, fmt.Errorf("RSA-PSS needs an RSA key")
		}
		return func(b *cryptobyte.Builder) { addAlgorithm(b, ecdsaOID[h], nil) }, nil
	}
	return nil, fmt.Errorf("keys of type %T cannot make PAdES signatures here (RSA and ECDSA only)", pub)
}

// signedAttributes encodes the PAdES baseline signed attributes, DER-sorted as a SET: content
// type, message digest and ESS signing-certificate-v2. There is no signingTime: PAdES puts the
// time in the signature dictionary's /M and in timestamps.
func signedAttributes(h crypto.Hash, digest []byte, cert *x509.Certificate) ([]byte, error) {
	certHash := h.New()
	certHash.Write(cert.Raw)
	attrs := [][]byte{
		attribute(oidContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }),
		attribute(oidMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }),
		attribute(oidSigningCertificateV2, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2
						if h != crypto.SHA256 { // DEFAULT sha256 is omitted in DER
							addAlgorithm(b, digestOID[h], nil)
						}
						b.AddASN1OctetString(certHash.Sum(nil))
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerSerial
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // GeneralNames
								b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
									b.AddBytes(cert.RawIssuer)
								})
							})
							b.AddASN1BigInt(cert.SerialNumber)
						})
					})
				})
			})
		}),
	}
	for _, a := range attrs {
		if a == nil {
			return nil, fmt.Errorf("encoding signed attributes")
		}
	}
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
	return b.Bytes()
}

func attribute(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		b.AddASN1(cbasn1.SET, value)
	})
	out, err := b.Bytes()
	if err != nil {
		return nil
	}
	return out
}

// cmsRequest is what a detached CMS signature needs.
type cmsRequest struct {
	Signer crypto.Signer
	Chain  []*x509.Certificate // signer first
	Hash   crypto.Hash
	PSS    bool
	Digest []byte // of the signed byte ranges
	// Unsigned adds unsigned attributes from the signature value (a timestamp for B-T).
	Unsigned func(signature []byte) ([][]byte, error)
}

// buildCMS makes a detached CMS SignedData (ETSI.CAdES.detached) over a precomputed digest.
func buildCMS(r cmsRequest) ([]byte, error) {
	if _, ok := digestOID[r.Hash]; !ok {
		return nil, fmt.Errorf("hash %v is not supported (SHA-256, SHA-384, SHA-512)", r.Hash)
	}
	cert := r.Chain[0]
	sigAlg, err := signatureAlgorithm(r.Signer.Public(), r.Hash, r.PSS)
	if err != nil {
		return nil, batch.Fatal(err) // the key cannot sign this way, for any document
	}
	attrs, err := signedAttributes(r.Hash, r.Digest, cert)
	if err != nil {
		return nil, err
	}
	h := r.Hash.New()
	h.Write(attrs)
	var opts crypto.SignerOpts = r.Hash
	if r.PSS {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: r.Hash}
	}
	sig, err := r.Signer.Sign(rand.Reader, h.Sum(nil), opts)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	var unsigned [][]byte
	if r.Unsigned != nil {
		if unsigned, err = r.Unsigned(sig); err != nil {
			return nil, err
		}
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, digestOID[r.Hash], nil) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range r.Chain {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerAndSerialNumber
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						addAlgorithm(b, digestOID[r.Hash], nil)
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddBytes(attrs[2+lenLen(attrs):]) // the SET's content, re-tagged [0] IMPLICIT
						})
						sigAlg(b)
						b.AddASN1OctetString(sig)
						if len(unsigned) > 0 {
							b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								for _, u := range unsigned {
									b.AddBytes(u)
								}
							})
						}
					})
				})
			})
		})
	})
	return b.Bytes()
}

// lenLen is how many extra length bytes a DER element's header has beyond the first.
func lenLen(der []byte) int {
	if der[1] < 0x80 {
		return 0
	}
	return int(der[1] & 0x7f)
}
