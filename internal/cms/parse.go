package cms

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Finding is a tolerance the parser applied: the message is usable, but not as RFC 5652 wants.
// Codes: "ber", "trailing-data", "several-signers", "bad-certificate", "other-certificate",
// "signer-by-ski", "unsorted-attributes", "no-content-type", "sigalg-hash-mismatch",
// "digest-not-listed", and for timestamps "no-signing-certificate", "tsa-eku".
type Finding struct {
	Code string
	Text string
}

// Attribute is a CMS attribute: its type and each value's full DER encoding.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values [][]byte
}

// IssuerSerial names a certificate by its issuer (the DER Name) and serial number.
type IssuerSerial struct {
	RawIssuer []byte
	Serial    *big.Int
}

// SignerInfo is one signer of a SignedData.
type SignerInfo struct {
	Version         int
	IssuerSerial    *IssuerSerial // when the signer is named by issuer and serial number
	SubjectKeyID    []byte        // when the signer is named by subject key identifier
	DigestAlgorithm pkix.AlgorithmIdentifier
	SignedAttrs     []Attribute
	// RawSignedAttrs are the signed attributes as encoded in the message, tagged as a SET (0x31):
	// the bytes that are hashed and signed. Nil without signed attributes.
	RawSignedAttrs     []byte
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      []Attribute
	// Findings are the tolerances applied to this signer (also listed in SignedData.Findings).
	Findings []Finding

	contentType asn1.ObjectIdentifier // the SignedData's eContentType
}

// SignedData is a parsed CMS SignedData.
type SignedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier
	ContentType      asn1.ObjectIdentifier // eContentType
	Content          []byte                // eContent, nil when detached
	// Certificates are the X.509 certificates that parse; the others are findings.
	Certificates []*x509.Certificate
	// CRLs are the revocation information choices of the crls field, raw.
	CRLs     [][]byte
	Signers  []*SignerInfo
	Findings []Finding
}

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

// Parse parses a ContentInfo holding a SignedData. BER is converted to DER first (finding "ber"),
// leaving the DER parts byte-identical. Zero bytes after the ContentInfo (the padding of a PDF's
// /Contents) are ignored; other trailing bytes are a finding. A message without signers is an
// error; several signers are a finding. The byte slices of the result may share memory with
// contentInfo. Signed attributes that were themselves BER-encoded come out as DER, so a signature
// made over their BER does not verify: RFC 5652 requires DER there.
func Parse(contentInfo []byte) (*SignedData, error) {
	if len(contentInfo) > MaxInput {
		return nil, malformed("message too large")
	}
	der, n, changed, err := toDER(contentInfo)
	if err != nil {
		return nil, err
	}
	sd := &SignedData{}
	if changed {
		sd.finding("ber", "BER encoding (indefinite lengths, constructed strings or non-minimal lengths)")
	}
	if len(bytes.Trim(contentInfo[n:], "\x00")) > 0 {
		sd.finding("trailing-data", fmt.Sprintf("%d bytes after the ContentInfo", len(contentInfo)-n))
	}
	s := cryptobyte.String(der)
	var ci, content cryptobyte.String
	var ctype asn1.ObjectIdentifier
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ctype) {
		return nil, malformed("not a ContentInfo")
	}
	if !ctype.Equal(OIDSignedData) {
		return nil, malformed(fmt.Sprintf("content type %v is not SignedData", ctype))
	}
	if !ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() {
		return nil, malformed("bad ContentInfo content")
	}
	if err := sd.parse(content); err != nil {
		return nil, err
	}
	return sd, nil
}

func (sd *SignedData) finding(code, text string) {
	sd.Findings = append(sd.Findings, Finding{code, text})
}

func (sd *SignedData) parse(content cryptobyte.String) error {
	var s, algs, eci cryptobyte.String
	if !content.ReadASN1(&s, cbasn1.SEQUENCE) || !content.Empty() {
		return malformed("not a SignedData")
	}
	if !s.ReadASN1Integer(&sd.Version) || !s.ReadASN1(&algs, cbasn1.SET) {
		return malformed("bad SignedData version or digest algorithms")
	}
	for !algs.Empty() {
		a, err := readAlgorithm(&algs)
		if err != nil {
			return err
		}
		sd.DigestAlgorithms = append(sd.DigestAlgorithms, a)
	}
	if !s.ReadASN1(&eci, cbasn1.SEQUENCE) || !eci.ReadASN1ObjectIdentifier(&sd.ContentType) {
		return malformed("bad EncapsulatedContentInfo")
	}
	if !eci.Empty() {
		var ec cryptobyte.String
		var octets []byte
		if !eci.ReadASN1(&ec, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
			!ec.ReadASN1Bytes(&octets, cbasn1.OCTET_STRING) || !ec.Empty() || !eci.Empty() {
			return malformed("bad eContent")
		}
		sd.Content = octets
		if sd.Content == nil {
			sd.Content = []byte{}
		}
	}
	var certs, crls, signers cryptobyte.String
	var ok bool
	if !s.ReadOptionalASN1(&certs, &ok, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return malformed("bad certificates")
	}
	for !certs.Empty() {
		var c cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&c, &tag) {
			return malformed("bad certificates")
		}
		if tag != cbasn1.SEQUENCE {
			sd.finding("other-certificate", fmt.Sprintf("a certificate choice with tag %#x ignored", uint8(tag)))
			continue
		}
		cert, err := x509.ParseCertificate(c)
		if err != nil {
			sd.finding("bad-certificate", "a certificate that does not parse ignored: "+err.Error())
			continue
		}
		sd.Certificates = append(sd.Certificates, cert)
	}
	if !s.ReadOptionalASN1(&crls, &ok, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return malformed("bad crls")
	}
	for !crls.Empty() {
		var c cryptobyte.String
		if !crls.ReadAnyASN1Element(&c, nil) {
			return malformed("bad crls")
		}
		sd.CRLs = append(sd.CRLs, c)
	}
	if !s.ReadASN1(&signers, cbasn1.SET) || !s.Empty() {
		return malformed("bad signerInfos")
	}
	for !signers.Empty() {
		si, err := sd.parseSigner(&signers)
		if err != nil {
			return err
		}
		sd.Signers = append(sd.Signers, si)
	}
	switch {
	case len(sd.Signers) == 0:
		return malformed("no signer")
	case len(sd.Signers) > 1:
		sd.finding("several-signers", fmt.Sprintf("%d signers", len(sd.Signers)))
	}
	return nil
}

func (sd *SignedData) parseSigner(signers *cryptobyte.String) (*SignerInfo, error) {
	si := &SignerInfo{contentType: sd.ContentType}
	var s cryptobyte.String
	if !signers.ReadASN1(&s, cbasn1.SEQUENCE) || !s.ReadASN1Integer(&si.Version) {
		return nil, malformed("bad SignerInfo")
	}
	find := func(code, text string) {
		si.Findings = append(si.Findings, Finding{code, text})
		sd.finding(code, text)
	}
	switch {
	case s.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias, issuer cryptobyte.String
		serial := new(big.Int)
		if !s.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) ||
			!readInteger(&ias, serial) || !ias.Empty() {
			return nil, malformed("bad IssuerAndSerialNumber")
		}
		si.IssuerSerial = &IssuerSerial{RawIssuer: issuer, Serial: serial}
	case s.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		if !s.ReadASN1Bytes(&si.SubjectKeyID, cbasn1.Tag(0).ContextSpecific()) {
			return nil, malformed("bad SubjectKeyIdentifier")
		}
		find("signer-by-ski", "the signer is named by subject key identifier")
	default:
		return nil, malformed("bad signer identifier")
	}
	var err error
	if si.DigestAlgorithm, err = readAlgorithm(&s); err != nil {
		return nil, err
	}
	if s.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var raw cryptobyte.String
		s.ReadASN1Element(&raw, cbasn1.Tag(0).Constructed().ContextSpecific())
		si.RawSignedAttrs = append([]byte{0x31}, raw[1:]...)
		var sorted bool
		if si.SignedAttrs, sorted, err = parseAttributes(si.RawSignedAttrs); err != nil {
			return nil, err
		}
		if !sorted {
			find("unsorted-attributes", "the signed attributes are not in DER order")
		}
		if _, ok := si.Attribute(OIDContentType); !ok {
			find("no-content-type", "the signed attributes have no content-type")
		}
	}
	if si.SignatureAlgorithm, err = readAlgorithm(&s); err != nil {
		return nil, err
	}
	if !s.ReadASN1Bytes(&si.Signature, cbasn1.OCTET_STRING) {
		return nil, malformed("bad signature value")
	}
	if s.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		var raw cryptobyte.String
		s.ReadASN1Element(&raw, cbasn1.Tag(1).Constructed().ContextSpecific())
		if si.UnsignedAttrs, _, err = parseAttributes(append([]byte{0x31}, raw[1:]...)); err != nil {
			return nil, err
		}
	}
	if !s.Empty() {
		return nil, malformed("trailing data in SignerInfo")
	}
	listed := false
	for _, a := range sd.DigestAlgorithms {
		listed = listed || a.Algorithm.Equal(si.DigestAlgorithm.Algorithm)
	}
	if !listed {
		find("digest-not-listed", "the signer's digest algorithm is not in digestAlgorithms")
	}
	if h, _, ok := signatureOID(si.SignatureAlgorithm.Algorithm); ok {
		if dh, err := HashOf(si.DigestAlgorithm.Algorithm); err == nil && dh != h {
			find("sigalg-hash-mismatch", fmt.Sprintf("signature algorithm %v names %v, the digest algorithm %v", si.SignatureAlgorithm.Algorithm, h, dh))
		}
	}
	if si.SignatureAlgorithm.Algorithm.Equal(OIDRSASSAPSS) {
		if p, err := parsePSS(si.SignatureAlgorithm.Parameters.FullBytes); err == nil {
			if dh, err := HashOf(si.DigestAlgorithm.Algorithm); err == nil && dh != p.hash {
				find("sigalg-hash-mismatch", fmt.Sprintf("RSASSA-PSS with %v, the digest algorithm %v", p.hash, dh))
			}
		}
	}
	return si, nil
}

// readInteger reads an INTEGER of any size, negative included (some CAs issue those serials).
func readInteger(s *cryptobyte.String, out *big.Int) bool {
	var b []byte
	if !s.ReadASN1Bytes(&b, cbasn1.INTEGER) || len(b) == 0 {
		return false
	}
	out.SetBytes(b)
	if b[0]&0x80 != 0 {
		out.Sub(out, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return true
}

// readAlgorithm reads an AlgorithmIdentifier.
func readAlgorithm(s *cryptobyte.String) (pkix.AlgorithmIdentifier, error) {
	var a pkix.AlgorithmIdentifier
	var seq, params cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&a.Algorithm) {
		return a, malformed("bad AlgorithmIdentifier")
	}
	if seq.Empty() {
		return a, nil
	}
	if !seq.ReadAnyASN1Element(&params, nil) || !seq.Empty() {
		return a, malformed("bad AlgorithmIdentifier parameters")
	}
	if _, err := asn1.Unmarshal(params, &a.Parameters); err != nil {
		return a, malformed("bad AlgorithmIdentifier parameters")
	}
	return a, nil
}

// parseAttributes parses a SET OF Attribute and tells whether it is in DER order.
func parseAttributes(set []byte) (attrs []Attribute, sorted bool, err error) {
	s := cryptobyte.String(set)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.SET) {
		return nil, false, malformed("bad attributes")
	}
	sorted = true
	var prev []byte
	for !body.Empty() {
		var elem, a, values cryptobyte.String
		var at Attribute
		if !body.ReadASN1Element(&elem, cbasn1.SEQUENCE) {
			return nil, false, malformed("bad attribute")
		}
		if prev != nil && bytes.Compare(prev, elem) > 0 {
			sorted = false
		}
		prev = elem
		if !elem.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&at.Type) ||
			!a.ReadASN1(&values, cbasn1.SET) || !a.Empty() {
			return nil, false, malformed("bad attribute")
		}
		for !values.Empty() {
			var v cryptobyte.String
			if !values.ReadAnyASN1Element(&v, nil) {
				return nil, false, malformed("bad attribute value")
			}
			at.Values = append(at.Values, v)
		}
		attrs = append(attrs, at)
	}
	return attrs, sorted, nil
}

// Attribute is the first signed attribute of type oid.
func (si *SignerInfo) Attribute(oid asn1.ObjectIdentifier) (Attribute, bool) {
	for _, a := range si.SignedAttrs {
		if a.Type.Equal(oid) {
			return a, true
		}
	}
	return Attribute{}, false
}

// single is the only value of the only signed attribute of type oid.
func (si *SignerInfo) single(oid asn1.ObjectIdentifier) ([]byte, error) {
	var found []byte
	n := 0
	for _, a := range si.SignedAttrs {
		if a.Type.Equal(oid) {
			n++
			if len(a.Values) != 1 {
				return nil, malformed(fmt.Sprintf("attribute %v has %d values", oid, len(a.Values)))
			}
			found = a.Values[0]
		}
	}
	switch n {
	case 0:
		return nil, nil
	case 1:
		return found, nil
	}
	return nil, malformed(fmt.Sprintf("attribute %v appears %d times", oid, n))
}

// MessageDigest is the value of the message-digest attribute, which must appear once with one
// OCTET STRING value.
func (si *SignerInfo) MessageDigest() ([]byte, error) {
	v, err := si.single(OIDMessageDigest)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, malformed("no message-digest attribute")
	}
	s := cryptobyte.String(v)
	var md []byte
	if !s.ReadASN1Bytes(&md, cbasn1.OCTET_STRING) || !s.Empty() {
		return nil, malformed("the message-digest attribute is not an OCTET STRING")
	}
	return md, nil
}

// SigningTime is the value of the signing-time attribute, if there is one that parses.
func (si *SignerInfo) SigningTime() (time.Time, bool) {
	v, err := si.single(OIDSigningTime)
	if err != nil || v == nil {
		return time.Time{}, false
	}
	s := cryptobyte.String(v)
	var t time.Time
	switch {
	case s.PeekASN1Tag(cbasn1.UTCTime):
		if !s.ReadASN1UTCTime(&t) {
			return time.Time{}, false
		}
	default:
		var err error
		if t, err = readGeneralizedTime(&s); err != nil {
			return time.Time{}, false
		}
	}
	return t, true
}

// readGeneralizedTime reads a GeneralizedTime, fractional seconds included.
func readGeneralizedTime(s *cryptobyte.String) (time.Time, error) {
	var b []byte
	if !s.ReadASN1Bytes(&b, cbasn1.GeneralizedTime) {
		return time.Time{}, malformed("bad GeneralizedTime")
	}
	// time.Parse accepts a fractional second after the seconds field.
	t, err := time.Parse("20060102150405Z0700", string(b))
	if err != nil {
		return time.Time{}, malformed("bad GeneralizedTime")
	}
	return t, nil
}

// TimestampTokens are the values of the unsigned id-aa-timeStampToken attributes: each the full
// DER of a ContentInfo.
func (si *SignerInfo) TimestampTokens() [][]byte {
	var out [][]byte
	for _, a := range si.UnsignedAttrs {
		if a.Type.Equal(OIDTimeStampToken) {
			out = append(out, a.Values...)
		}
	}
	return out
}

// ErrNoCertificate is a signer whose certificate is neither in the message nor among those given.
var ErrNoCertificate = errors.New("cms: the signer's certificate is not available")
