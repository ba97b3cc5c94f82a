package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TSTInfo is the content of an RFC 3161 timestamp token.
type TSTInfo struct {
	Policy        asn1.ObjectIdentifier
	Hash          crypto.Hash // of the message imprint
	HashedMessage []byte
	Serial        *big.Int
	GenTime       time.Time
	Accuracy      time.Duration
	Nonce         *big.Int // nil when absent
	TSAName       []byte   // the raw GeneralName, nil when absent
}

// Timestamp is a parsed timestamp token whose signature verified.
type Timestamp struct {
	SignedData *SignedData
	Info       TSTInfo
	Signer     *x509.Certificate
}

var oidEKU = asn1.ObjectIdentifier{2, 5, 29, 37}

// ParseTimestamp parses an RFC 3161 timestamp token and checks it: the signature of its signer
// (the first, if several) over its TSTInfo with a certificate the token carries or extra holds
// (a token made without certReq carries none: the error is then ErrNoCertificate and the
// Timestamp, whose Info is still read, is returned without a Signer), the
// ESS signing-certificate binding (finding "no-signing-certificate" when absent), and the
// id-kp-timeStamping extended key usage of that certificate (an error when missing; finding
// "tsa-eku" when it is not critical or not alone). It does not judge trust or time validity.
func ParseTimestamp(token []byte, extra []*x509.Certificate) (*Timestamp, error) {
	sd, err := Parse(token)
	if err != nil {
		return nil, err
	}
	if !sd.ContentType.Equal(OIDTSTInfo) || sd.Content == nil {
		return nil, malformed("not a timestamp token: no TSTInfo content")
	}
	info, err := parseTSTInfo(sd.Content)
	if err != nil {
		return nil, err
	}
	si := sd.Signers[0]
	cert := sd.SignerCertificate(si, extra)
	if cert == nil {
		return &Timestamp{SignedData: sd, Info: info}, fmt.Errorf("%w: the timestamp token does not carry its signer's certificate", ErrNoCertificate)
	}
	h, err := si.Hash()
	if err != nil {
		return nil, err
	}
	d := h.New()
	d.Write(sd.Content)
	if err := si.Verify(cert, d.Sum(nil)); err != nil {
		return nil, fmt.Errorf("timestamp token: %w", err)
	}
	present, err := si.CheckSigningCertificate(cert)
	if err != nil {
		return nil, fmt.Errorf("timestamp token: %w", err)
	}
	if !present {
		sd.finding("no-signing-certificate", "the timestamp token has no ESS signing-certificate attribute")
	}
	ts := false
	for _, u := range cert.ExtKeyUsage {
		ts = ts || u == x509.ExtKeyUsageTimeStamping
	}
	if !ts {
		return nil, fmt.Errorf("timestamp token: the certificate of %q is not for time stamping", cert.Subject.CommonName)
	}
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidEKU) && (!e.Critical || len(cert.ExtKeyUsage)+len(cert.UnknownExtKeyUsage) > 1) {
			sd.finding("tsa-eku", "the TSA certificate's extended key usage is not critical or not only id-kp-timeStamping")
		}
	}
	return &Timestamp{SignedData: sd, Info: info, Signer: cert}, nil
}

// parseTSTInfo decodes a DER TSTInfo.
func parseTSTInfo(der []byte) (TSTInfo, error) {
	var t TSTInfo
	bad := malformed("bad TSTInfo")
	s := cryptobyte.String(der)
	var seq, imprint cryptobyte.String
	var version int
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1Integer(&version) || version != 1 ||
		!seq.ReadASN1ObjectIdentifier(&t.Policy) || !seq.ReadASN1(&imprint, cbasn1.SEQUENCE) {
		return t, bad
	}
	a, err := readAlgorithm(&imprint)
	if err != nil {
		return t, err
	}
	if t.Hash, err = HashOf(a.Algorithm); err != nil {
		return t, err
	}
	if !imprint.ReadASN1Bytes(&t.HashedMessage, cbasn1.OCTET_STRING) || !imprint.Empty() || len(t.HashedMessage) != t.Hash.Size() {
		return t, malformed("bad TSTInfo message imprint")
	}
	t.Serial = new(big.Int)
	if !readInteger(&seq, t.Serial) {
		return t, bad
	}
	if t.GenTime, err = readGeneralizedTime(&seq); err != nil {
		return t, err
	}
	if seq.PeekASN1Tag(cbasn1.SEQUENCE) {
		var acc cryptobyte.String
		var secs, millis, micros int64
		seq.ReadASN1(&acc, cbasn1.SEQUENCE)
		if !readSmallInt(&acc, cbasn1.INTEGER, &secs) || !readSmallInt(&acc, cbasn1.Tag(0).ContextSpecific(), &millis) ||
			!readSmallInt(&acc, cbasn1.Tag(1).ContextSpecific(), &micros) || !acc.Empty() ||
			secs < 0 || secs > 1<<30 || millis < 0 || millis > 999 || micros < 0 || micros > 999 {
			return t, malformed("bad TSTInfo accuracy")
		}
		t.Accuracy = time.Duration(secs)*time.Second + time.Duration(millis)*time.Millisecond + time.Duration(micros)*time.Microsecond
	}
	if seq.PeekASN1Tag(cbasn1.BOOLEAN) {
		var ordering bool
		if !seq.ReadASN1Boolean(&ordering) {
			return t, bad
		}
	}
	if seq.PeekASN1Tag(cbasn1.INTEGER) {
		t.Nonce = new(big.Int)
		if !readInteger(&seq, t.Nonce) {
			return t, bad
		}
	}
	if seq.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var name cryptobyte.String
		if !seq.ReadASN1(&name, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return t, bad
		}
		t.TSAName = bytes.Clone(name)
	}
	if seq.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		seq.SkipASN1(cbasn1.Tag(1).Constructed().ContextSpecific())
	}
	if !seq.Empty() {
		return t, bad
	}
	return t, nil
}

// readSmallInt reads an optional, implicitly tagged, non-negative INTEGER below 2^31.
func readSmallInt(s *cryptobyte.String, tag cbasn1.Tag, out *int64) bool {
	if !s.PeekASN1Tag(tag) {
		return true
	}
	var b []byte
	if !s.ReadASN1Bytes(&b, tag) || len(b) == 0 || len(b) > 4 || b[0]&0x80 != 0 {
		return false
	}
	for _, c := range b {
		*out = *out<<8 | int64(c)
	}
	return true
}

// Covers tells whether the token's message imprint is the digest of data.
func (t *Timestamp) Covers(data []byte) bool {
	if !t.Info.Hash.Available() {
		return false
	}
	d := t.Info.Hash.New()
	d.Write(data)
	return bytes.Equal(d.Sum(nil), t.Info.HashedMessage)
}
