package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Request is what Build needs for a detached signature.
type Request struct {
	Signer crypto.Signer
	Chain  []*x509.Certificate // signer first
	Hash   crypto.Hash         // SHA-256, SHA-384 or SHA-512
	PSS    bool                // RSASSA-PSS instead of PKCS #1 v1.5 (RSA keys only)
	Digest []byte              // of the signed content
	// Unsigned adds unsigned attributes (each a full DER Attribute, see EncodeAttribute) made
	// from the signature value, such as a signature timestamp.
	Unsigned func(signature []byte) ([][]byte, error)
}

// Build makes a detached CMS SignedData (ETSI.CAdES.detached) over r.Digest, with the signed
// attributes content-type, message-digest and signing-certificate-v2, DER-sorted. An error for a
// key that cannot sign this way, for any content, wraps ErrKeyType.
func Build(r Request) ([]byte, error) {
	switch r.Hash {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return nil, fmt.Errorf("hash %v is not supported (SHA-256, SHA-384, SHA-512)", r.Hash)
	}
	if len(r.Chain) == 0 || r.Signer == nil {
		return nil, errors.New("cms: a signer and its certificate are needed")
	}
	cert := r.Chain[0]
	sigAlg, err := signatureAlgorithm(r.Signer.Public(), r.Hash, r.PSS)
	if err != nil {
		return nil, err
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
		b.AddASN1ObjectIdentifier(OIDSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, DigestOID(r.Hash), nil) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(OIDData) })
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
						addAlgorithm(b, DigestOID(r.Hash), nil)
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
				addAlgorithm(b, OIDRSASSAPSS, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							addAlgorithm(b, DigestOID(h), addNull)
						})
						b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							addAlgorithm(b, OIDMGF1, func(b *cryptobyte.Builder) { addAlgorithm(b, DigestOID(h), addNull) })
						})
						b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddASN1Int64(int64(h.Size()))
						})
					})
				})
			}, nil
		}
		return func(b *cryptobyte.Builder) { addAlgorithm(b, rsaSignatureOID(h), addNull) }, nil
	case *ecdsa.PublicKey:
		if pss {
			return nil, fmt.Errorf("%w: RSA-PSS needs an RSA key", ErrKeyType)
		}
		return func(b *cryptobyte.Builder) { addAlgorithm(b, ecdsaSignatureOID(h), nil) }, nil
	}
	return nil, fmt.Errorf("%w: keys of type %T cannot make PAdES signatures here (RSA and ECDSA only)", ErrKeyType, pub)
}

// signedAttributes encodes the PAdES baseline signed attributes, DER-sorted as a SET: content
// type, message digest and ESS signing-certificate-v2. There is no signingTime: PAdES puts the
// time in the signature dictionary's /M and in timestamps.
func signedAttributes(h crypto.Hash, digest []byte, cert *x509.Certificate) ([]byte, error) {
	certHash := h.New()
	certHash.Write(cert.Raw)
	attrs := [][]byte{
		attribute(OIDContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(OIDData) }),
		attribute(OIDMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }),
		attribute(OIDSigningCertificateV2, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2
						if h != crypto.SHA256 { // DEFAULT sha256 is omitted in DER
							addAlgorithm(b, DigestOID(h), nil)
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

// EncodeAttribute is the DER Attribute of type oid with the one value valueDER (a full DER
// element), such as the unsigned id-aa-signatureTimeStampToken holding a timestamp token. Nil
// when oid cannot be encoded.
func EncodeAttribute(oid asn1.ObjectIdentifier, valueDER []byte) []byte {
	return attribute(oid, func(b *cryptobyte.Builder) { b.AddBytes(valueDER) })
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

// lenLen is how many extra length bytes a DER element's header has beyond the first.
func lenLen(der []byte) int {
	if der[1] < 0x80 {
		return 0
	}
	return int(der[1] & 0x7f)
}
