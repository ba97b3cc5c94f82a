package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Hash is the hash of the signer's digest algorithm; the error wraps ErrUnsupported.
func (si *SignerInfo) Hash() (crypto.Hash, error) { return HashOf(si.DigestAlgorithm.Algorithm) }

// SignerCertificate finds the signer's certificate in the message's certificates, then in extra:
// by issuer (the exact DER, then, as a tolerance, an equivalent name) and serial number, or by
// subject key identifier (the certificate's extension, or the SHA-1 of its public key). Nil when
// none matches.
func (sd *SignedData) SignerCertificate(si *SignerInfo, extra []*x509.Certificate) *x509.Certificate {
	all := append(append([]*x509.Certificate(nil), sd.Certificates...), extra...)
	if is := si.IssuerSerial; is != nil {
		for _, c := range all {
			if c.SerialNumber.Cmp(is.Serial) == 0 && bytes.Equal(c.RawIssuer, is.RawIssuer) {
				return c
			}
		}
		for _, c := range all {
			if c.SerialNumber.Cmp(is.Serial) == 0 && sameName(c.RawIssuer, is.RawIssuer) {
				return c
			}
		}
		return nil
	}
	for _, c := range all {
		if len(si.SubjectKeyID) > 0 && bytes.Equal(c.SubjectKeyId, si.SubjectKeyID) {
			return c
		}
	}
	for _, c := range all {
		if len(c.SubjectKeyId) == 0 && bytes.Equal(keyID(c), si.SubjectKeyID) {
			return c
		}
	}
	return nil
}

// keyID is the SHA-1 of a certificate's subjectPublicKey (RFC 5280 4.2.1.2 method 1).
func keyID(c *x509.Certificate) []byte {
	s := cryptobyte.String(c.RawSubjectPublicKeyInfo)
	var spki cryptobyte.String
	var bits asn1.BitString
	if !s.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.SkipASN1(cbasn1.SEQUENCE) || !spki.ReadASN1BitString(&bits) {
		return nil
	}
	sum := sha1.Sum(bits.Bytes)
	return sum[:]
}

// sameName compares two DER Names attribute by attribute, ignoring case, string types and
// repeated or surrounding spaces.
func sameName(a, b []byte) bool {
	var na, nb pkix.RDNSequence
	if rest, err := asn1.Unmarshal(a, &na); err != nil || len(rest) > 0 {
		return false
	}
	if rest, err := asn1.Unmarshal(b, &nb); err != nil || len(rest) > 0 {
		return false
	}
	if len(na) != len(nb) {
		return false
	}
	norm := func(v any) string { return strings.Join(strings.Fields(fmt.Sprint(v)), " ") }
	for i := range na {
		if len(na[i]) != len(nb[i]) {
			return false
		}
		for j := range na[i] {
			x, y := na[i][j], nb[i][j]
			if !x.Type.Equal(y.Type) || !strings.EqualFold(norm(x.Value), norm(y.Value)) {
				return false
			}
		}
	}
	return true
}

// Verify checks the signer's signature with cert's key over contentDigest, the digest of the
// content with the signer's hash (see Hash).
//
// With signed attributes, the message-digest attribute must be present (else ErrMalformed) and
// equal contentDigest (else ErrDigestMismatch), the content-type attribute, when present, must be
// the eContentType (else ErrMalformed; a missing one is the Parse finding "no-content-type"), and
// the signature is over the hash of RawSignedAttrs. Without signed attributes the signature is
// over contentDigest itself, so a wrong digest then shows as ErrSignature.
//
// A bad signature value wraps ErrSignature, an unknown algorithm ErrUnsupported, a key that does
// not fit the algorithm ErrKeyType. When the signature algorithm names another hash than the
// digest algorithm (finding "sigalg-hash-mismatch"), the digest algorithm's hash is used, except
// for RSASSA-PSS, whose parameters name the hash the padding was made with. Verify does not change
// si and may run concurrently.
func (si *SignerInfo) Verify(cert *x509.Certificate, contentDigest []byte) error {
	if cert == nil {
		return ErrNoCertificate
	}
	h, err := si.Hash()
	if err != nil {
		return err
	}
	signed := contentDigest // what the signature is over (a digest, or the message for Ed25519)
	if si.RawSignedAttrs != nil {
		md, err := si.MessageDigest()
		if err != nil {
			return err
		}
		if !bytes.Equal(md, contentDigest) {
			return ErrDigestMismatch
		}
		ct, err := si.single(OIDContentType)
		if err != nil {
			return err
		}
		if ct != nil {
			s := cryptobyte.String(ct)
			var oid asn1.ObjectIdentifier
			if !s.ReadASN1ObjectIdentifier(&oid) || !s.Empty() || !oid.Equal(si.contentType) {
				return malformed("the content-type attribute is not the eContentType")
			}
		}
		signed = si.RawSignedAttrs
	} else if len(contentDigest) != h.Size() {
		return fmt.Errorf("%w: the digest has %d bytes, %v makes %d", ErrDigestMismatch, len(contentDigest), h, h.Size())
	}
	digest := func(h crypto.Hash) []byte {
		if si.RawSignedAttrs == nil {
			return contentDigest
		}
		d := h.New()
		d.Write(si.RawSignedAttrs)
		return d.Sum(nil)
	}
	alg := si.SignatureAlgorithm.Algorithm
	pub := cert.PublicKey
	bad := func(err error) error {
		if err != nil {
			return fmt.Errorf("%w: %v", ErrSignature, err)
		}
		return nil
	}
	_, isECDSA, named := signatureOID(alg)
	switch {
	case alg.Equal(OIDRSAEncryption) || named && !isECDSA:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %T key with RSA algorithm %v", ErrKeyType, pub, alg)
		}
		return bad(rsa.VerifyPKCS1v15(k, h, digest(h), si.Signature))
	case alg.Equal(OIDECPublicKey) || named && isECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %T key with ECDSA algorithm %v", ErrKeyType, pub, alg)
		}
		if !ecdsa.VerifyASN1(k, digest(h), si.Signature) {
			return ErrSignature
		}
		return nil
	case alg.Equal(OIDRSASSAPSS):
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %T key with RSASSA-PSS", ErrKeyType, pub)
		}
		p, err := parsePSS(si.SignatureAlgorithm.Parameters.FullBytes)
		if err != nil {
			return err
		}
		if p.mgfHash != p.hash {
			return fmt.Errorf("%w: RSASSA-PSS with MGF1 hash %v and hash %v", ErrUnsupported, p.mgfHash, p.hash)
		}
		return bad(rsa.VerifyPSS(k, p.hash, digest(p.hash), si.Signature, &rsa.PSSOptions{SaltLength: p.salt, Hash: p.hash}))
	case alg.Equal(OIDEd25519):
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %T key with Ed25519", ErrKeyType, pub)
		}
		if si.RawSignedAttrs == nil {
			return fmt.Errorf("%w: Ed25519 without signed attributes signs the content itself", ErrUnsupported)
		}
		if !ed25519.Verify(k, signed, si.Signature) {
			return ErrSignature
		}
		return nil
	}
	return fmt.Errorf("%w: signature algorithm %v", ErrUnsupported, alg)
}

// pssParams are RSASSA-PSS-params (RFC 4055).
type pssParams struct {
	hash, mgfHash crypto.Hash
	salt          int
}

// parsePSS parses RSASSA-PSS-params; absent fields take the RFC 4055 defaults (SHA-1, MGF1 with
// SHA-1, 20 bytes of salt, trailer field 1).
func parsePSS(der []byte) (pssParams, error) {
	p := pssParams{hash: crypto.SHA1, mgfHash: crypto.SHA1, salt: 20}
	bad := malformed("bad RSASSA-PSS parameters")
	if len(der) == 0 {
		return p, nil
	}
	s := cryptobyte.String(der)
	var seq, f cryptobyte.String
	var ok bool
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
		return p, bad
	}
	if !seq.ReadOptionalASN1(&f, &ok, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return p, bad
	}
	if ok {
		a, err := readAlgorithm(&f)
		if err != nil {
			return p, err
		}
		if p.hash, err = HashOf(a.Algorithm); err != nil {
			return p, err
		}
	}
	if !seq.ReadOptionalASN1(&f, &ok, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return p, bad
	}
	if ok {
		a, err := readAlgorithm(&f)
		if err != nil {
			return p, err
		}
		if !a.Algorithm.Equal(OIDMGF1) {
			return p, fmt.Errorf("%w: mask generation function %v", ErrUnsupported, a.Algorithm)
		}
		ps := cryptobyte.String(a.Parameters.FullBytes)
		mh, err := readAlgorithm(&ps)
		if err != nil {
			return p, err
		}
		if p.mgfHash, err = HashOf(mh.Algorithm); err != nil {
			return p, err
		}
	}
	if !seq.ReadOptionalASN1(&f, &ok, cbasn1.Tag(2).Constructed().ContextSpecific()) {
		return p, bad
	}
	if ok && (!f.ReadASN1Integer(&p.salt) || p.salt < 0 || p.salt > 1024) {
		return p, bad
	}
	if !seq.ReadOptionalASN1(&f, &ok, cbasn1.Tag(3).Constructed().ContextSpecific()) {
		return p, bad
	}
	trailer := 1
	if ok && (!f.ReadASN1Integer(&trailer) || trailer != 1) {
		return p, fmt.Errorf("%w: RSASSA-PSS trailer field", ErrUnsupported)
	}
	if !seq.Empty() {
		return p, bad
	}
	return p, nil
}

// CheckSigningCertificate checks the ESS signing-certificate-v2 and signing-certificate
// attributes against cert: present is false when neither is there. The first ESSCertID of each
// must hold the hash of cert and, when it names an issuer and serial number, cert's.
func (si *SignerInfo) CheckSigningCertificate(cert *x509.Certificate) (present bool, err error) {
	for _, v2 := range []bool{true, false} {
		oid := OIDSigningCertificate
		if v2 {
			oid = OIDSigningCertificateV2
		}
		v, err := si.single(oid)
		if err != nil {
			return true, err
		}
		if v == nil {
			continue
		}
		present = true
		if err := checkESSCertID(v, v2, cert); err != nil {
			return true, err
		}
	}
	return present, nil
}

// checkESSCertID checks the first ESSCertID(v2) of a SigningCertificate(V2) value against cert.
func checkESSCertID(v []byte, v2 bool, cert *x509.Certificate) error {
	bad := malformed("bad ESS signing-certificate attribute")
	s := cryptobyte.String(v)
	var sc, certs, id cryptobyte.String
	if !s.ReadASN1(&sc, cbasn1.SEQUENCE) || !s.Empty() || !sc.ReadASN1(&certs, cbasn1.SEQUENCE) ||
		!certs.ReadASN1(&id, cbasn1.SEQUENCE) {
		return bad
	}
	h := crypto.SHA1
	if v2 {
		h = crypto.SHA256
		if id.PeekASN1Tag(cbasn1.SEQUENCE) {
			a, err := readAlgorithm(&id)
			if err != nil {
				return err
			}
			if h, err = HashOf(a.Algorithm); err != nil {
				return err
			}
		}
	}
	var certHash []byte
	if !id.ReadASN1Bytes(&certHash, cbasn1.OCTET_STRING) {
		return bad
	}
	d := h.New()
	d.Write(cert.Raw)
	if !bytes.Equal(d.Sum(nil), certHash) {
		return fmt.Errorf("the ESS signing-certificate attribute names another certificate than %q", cert.Subject.CommonName)
	}
	if id.Empty() {
		return nil
	}
	var is, names cryptobyte.String
	if !id.ReadASN1(&is, cbasn1.SEQUENCE) || !is.ReadASN1(&names, cbasn1.SEQUENCE) {
		return bad
	}
	serial := new(big.Int)
	if !readInteger(&is, serial) {
		return bad
	}
	if serial.Cmp(cert.SerialNumber) != 0 {
		return fmt.Errorf("the ESS signing-certificate attribute names serial number %v, the certificate has %v", serial, cert.SerialNumber)
	}
	for !names.Empty() {
		var gn cryptobyte.String
		var tag cbasn1.Tag
		if !names.ReadAnyASN1(&gn, &tag) {
			return bad
		}
		if tag == cbasn1.Tag(4).Constructed().ContextSpecific() {
			if bytes.Equal(gn, cert.RawIssuer) || sameName(gn, cert.RawIssuer) {
				return nil
			}
		}
	}
	return fmt.Errorf("the ESS signing-certificate attribute names another issuer than the certificate's")
}
