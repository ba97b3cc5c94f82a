// Package cms parses, verifies and builds the CMS (RFC 5652) SignedData messages found in PDF
// signatures, RFC 3161 timestamp tokens and edXML envelopes.
//
// Parsing is tolerant where real signers are sloppy (BER encodings, signers named by subject key
// identifier, unsorted attributes, several signers, certificates that do not parse, mismatched
// algorithm identifiers) and reports each tolerance it applied as a [Finding]. It is strict where
// it matters: the message digest, the signature value, the key type and the ESS
// signing-certificate binding.
package cms

import (
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"

	_ "crypto/sha1" // registered hashes, for crypto.Hash.New
	_ "crypto/sha256"
	_ "crypto/sha3"
	_ "crypto/sha512"
)

// Object identifiers of CMS content types, attributes and algorithms.
var (
	OIDData                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDContentType          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDMessageDigest        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDSigningTime          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDSigningCertificate   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	OIDSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	OIDTimeStampToken       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	OIDTSTInfo              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	OIDRSAEncryption        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	OIDRSASSAPSS            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	OIDMGF1                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	OIDECPublicKey          = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	OIDEd25519              = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// Sentinel errors, for errors.Is.
var (
	// ErrDigestMismatch: the message-digest attribute (or, without signed attributes, the signed
	// digest) is not the digest of the content.
	ErrDigestMismatch = errors.New("message digest mismatch")
	// ErrSignature: the signature value does not verify with the certificate's key.
	ErrSignature = errors.New("the signature value does not verify")
	// ErrUnsupported: an algorithm this package does not implement.
	ErrUnsupported = errors.New("unsupported algorithm")
	// ErrKeyType: the key does not fit the algorithm (verifying), or cannot sign this way (building).
	ErrKeyType = errors.New("key type does not fit the algorithm")
	// ErrMalformed: the message is not a well-formed CMS structure of the expected kind.
	ErrMalformed = errors.New("malformed CMS")
)

// hashOIDs lists the digest algorithms this package knows, by crypto.Hash.
var hashOIDs = []struct {
	h   crypto.Hash
	oid asn1.ObjectIdentifier
}{
	{crypto.SHA1, asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}},
	{crypto.SHA224, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}},
	{crypto.SHA256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}},
	{crypto.SHA384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}},
	{crypto.SHA512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}},
	{crypto.SHA3_256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 8}},
	{crypto.SHA3_384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 9}},
	{crypto.SHA3_512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 10}},
}

// sigOIDs lists the signature algorithms that name their hash.
var sigOIDs = []struct {
	oid   asn1.ObjectIdentifier
	h     crypto.Hash
	ecdsa bool
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, crypto.SHA1, false},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}, crypto.SHA224, false},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, crypto.SHA256, false},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, crypto.SHA384, false},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, crypto.SHA512, false},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 14}, crypto.SHA3_256, false},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 15}, crypto.SHA3_384, false},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 16}, crypto.SHA3_512, false},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, crypto.SHA1, true},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}, crypto.SHA224, true},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, crypto.SHA256, true},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, crypto.SHA384, true},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, crypto.SHA512, true},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 10}, crypto.SHA3_256, true},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 11}, crypto.SHA3_384, true},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 12}, crypto.SHA3_512, true},
}

// DigestOID is the digest algorithm identifier of h, or nil when this package does not know h.
func DigestOID(h crypto.Hash) asn1.ObjectIdentifier {
	for _, d := range hashOIDs {
		if d.h == h {
			return d.oid
		}
	}
	return nil
}

// HashOf is the hash a digest algorithm identifier names; the error wraps ErrUnsupported.
func HashOf(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	for _, d := range hashOIDs {
		if d.oid.Equal(oid) {
			if !d.h.Available() {
				break
			}
			return d.h, nil
		}
	}
	return 0, fmt.Errorf("%w: digest algorithm %v", ErrUnsupported, oid)
}

// signatureOID finds a signature algorithm that names its hash: which, and whether it is ECDSA.
func signatureOID(oid asn1.ObjectIdentifier) (h crypto.Hash, ecdsa, ok bool) {
	for _, s := range sigOIDs {
		if s.oid.Equal(oid) {
			return s.h, s.ecdsa, true
		}
	}
	return 0, false, false
}

// rsaSignatureOID and ecdsaSignatureOID are the algorithm identifiers Build writes.
func rsaSignatureOID(h crypto.Hash) asn1.ObjectIdentifier   { return findSig(h, false) }
func ecdsaSignatureOID(h crypto.Hash) asn1.ObjectIdentifier { return findSig(h, true) }

func findSig(h crypto.Hash, ecdsa bool) asn1.ObjectIdentifier {
	for _, s := range sigOIDs {
		if s.h == h && s.ecdsa == ecdsa {
			return s.oid
		}
	}
	return nil
}
