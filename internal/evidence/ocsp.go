package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// OCSPAnswer is a checked OCSP response about one certificate: signed by its issuer or a
// responder the issuer delegated to, about this certificate, and fresh when it was checked. Its
// Resp.Status may still be ocsp.Unknown: the responder does not know the certificate.
// Answers are shared between callers: do not modify them.
type OCSPAnswer struct {
	DER  []byte // the whole OCSPResponse, as a DSS /OCSPs stream wants it
	Resp *ocsp.Response
	URL  string // the responder asked, or "file …" for an answer given as a file
}

// OCSP asks the certificate's OCSP responders (or f.OCSPURL), in order, about cert, issued by
// issuer, and returns the first answer that passes the checks of checkOCSP. Answers given as
// Files come first. The request carries no nonce: a nonce would make every answer unique and
// defeat the responders' caches and ours.
func (f *Fetcher) OCSP(ctx context.Context, cert, issuer *x509.Certificate) (*OCSPAnswer, error) {
	a, errs := f.fileOCSP(ctx, cert, issuer)
	if a != nil {
		return a, nil
	}
	urls := cert.OCSPServer
	if f.OCSPURL != "" {
		urls = []string{f.OCSPURL}
	}
	if f.Offline || len(urls) == 0 {
		why := "offline, and no OCSP response given as a file is about it"
		if !f.Offline {
			why = "the certificate names no OCSP responder"
		}
		return nil, joinErrors(append(errs, errors.New(why)))
	}
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return nil, fmt.Errorf("OCSP request: %w", err)
	}
	for _, u := range urls {
		v, err := f.fetch(ctx, request{kind: "ocsp", url: u, body: req, bind: issuer.Raw, limit: maxOCSPResponse,
			accept: func(der []byte, now time.Time) (any, time.Time, error) {
				resp, until, err := checkOCSP(der, cert, issuer, now, f.maxAge())
				if err != nil {
					return nil, time.Time{}, err
				}
				return &OCSPAnswer{DER: der, Resp: resp, URL: u}, until, nil
			}})
		if err == nil {
			return v.(*OCSPAnswer), nil
		}
		errs = append(errs, &Error{What: "OCSP " + u, Err: err})
	}
	return nil, joinErrors(errs)
}

// checkOCSP checks an OCSP response about cert: it is a successful basic response, its
// signature verifies, its signer is the issuer or a responder the issuer delegated to (a
// certificate the issuer issued, with the OCSPSigning extended key usage, valid when the answer
// was produced, and named by the responder ID), it is about cert's serial number under this
// issuer (CertID), and it is fresh at now. It returns the response and until when it may be
// used: its nextUpdate, or thisUpdate plus maxAge without one.
func checkOCSP(der []byte, cert, issuer *x509.Certificate, now time.Time, maxAge time.Duration) (*ocsp.Response, time.Time, error) {
	resp, err := CheckOCSPAnswer(der, cert, issuer)
	if err != nil {
		return nil, time.Time{}, err
	}
	until, err := fresh("answer", resp.ThisUpdate, resp.NextUpdate, now, maxAge)
	if err != nil {
		return nil, time.Time{}, err
	}
	return resp, until, nil
}

// CheckOCSPAnswer checks an OCSP response about cert (embedded in a document, say) without
// judging its freshness, which depends on the time it must speak for: it parses, its signature
// verifies, it is about cert as issuer issued it (CertID), and its signer is issuer or a
// responder issuer delegated to (OCSPSigning).
func CheckOCSPAnswer(der []byte, cert, issuer *x509.Certificate) (*ocsp.Response, error) {
	// issuer nil: x/crypto would check an embedded responder certificate against the issuer
	// with CheckSignature, which refuses the issuer's own certificate; checked below instead
	resp, err := ocsp.ParseResponseForCert(der, cert, nil)
	if err != nil {
		var re ocsp.ResponseError
		switch {
		case errors.As(err, &re):
			return nil, fmt.Errorf("the responder answered %q", ocspStatusName(re.Status))
		case strings.Contains(err.Error(), "no response matching"):
			return nil, errors.New("the answer is not about this certificate (another serial number)")
		case strings.Contains(err.Error(), "signature"):
			return nil, errors.New("the answer's signature does not verify")
		}
		return nil, fmt.Errorf("not a valid OCSP response: %v", err)
	}
	if resp.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		return nil, errors.New("the answer is not about this certificate (another serial number)")
	}
	ids, err := ocspCertIDs(der)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		// x/crypto answers with the first single response for the serial: it must be this
		// issuer's, or another CA's certificate with the same serial would answer for ours
		if id.Serial.Cmp(cert.SerialNumber) == 0 {
			if !id.matches(cert, issuer) {
				return nil, errors.New("the answer is about a certificate of another CA with the same serial number")
			}
			break
		}
	}
	if err := ocspSigner(resp, issuer); err != nil {
		return nil, err
	}
	return resp, nil
}

// ocspSigner checks that the response was signed by issuer or a responder it delegated to.
func ocspSigner(resp *ocsp.Response, issuer *x509.Certificate) error {
	signer := resp.Certificate
	switch {
	case signer == nil:
		if err := resp.CheckSignatureFrom(issuer); err != nil {
			return fmt.Errorf("the answer's signature does not verify with the key of %q", issuer.Subject.CommonName)
		}
		signer = issuer
	case bytes.Equal(signer.Raw, issuer.Raw) ||
		(bytes.Equal(signer.RawSubject, issuer.RawSubject) && bytes.Equal(signer.RawSubjectPublicKeyInfo, issuer.RawSubjectPublicKeyInfo)):
		// the issuer itself (x/crypto verified the signature with the embedded certificate)
	default:
		name := signer.Subject.CommonName
		if !bytes.Equal(signer.RawIssuer, issuer.RawSubject) || signer.CheckSignatureFrom(issuer) != nil {
			return fmt.Errorf("the responder %q is not authorized: its certificate was not issued by %q", name, issuer.Subject.CommonName)
		}
		if !hasEKU(signer, x509.ExtKeyUsageOCSPSigning) {
			return fmt.Errorf("the responder %q is not authorized: its certificate lacks the OCSPSigning extended key usage", name)
		}
		if resp.ProducedAt.Before(signer.NotBefore) || resp.ProducedAt.After(signer.NotAfter) {
			return fmt.Errorf("the responder certificate %q was not valid when the answer was produced (%s)", name, resp.ProducedAt.UTC().Format(time.RFC3339))
		}
	}
	if resp.RawResponderName != nil && !bytes.Equal(resp.RawResponderName, signer.RawSubject) {
		return errors.New("the answer's responder ID does not name its signer")
	}
	if resp.ResponderKeyHash != nil && !bytes.Equal(resp.ResponderKeyHash, keyHash(crypto.SHA1, signer)) {
		return errors.New("the answer's responder ID does not name its signer")
	}
	return nil
}

// fresh checks an answer's validity period at now and returns until when it may be used.
func fresh(what string, thisUpdate, nextUpdate, now time.Time, maxAge time.Duration) (time.Time, error) {
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	if thisUpdate.After(now.Add(clockSkew)) {
		return time.Time{}, fmt.Errorf("the %s is from the future: thisUpdate %s", what, stamp(thisUpdate))
	}
	if !nextUpdate.IsZero() {
		if !now.Before(nextUpdate) {
			return time.Time{}, fmt.Errorf("the %s is stale: its nextUpdate %s has passed", what, stamp(nextUpdate))
		}
		return nextUpdate, nil
	}
	until := thisUpdate.Add(maxAge)
	if !now.Before(until) {
		return time.Time{}, fmt.Errorf("the %s is stale: it has no nextUpdate and its thisUpdate %s is older than %s", what, stamp(thisUpdate), maxAge)
	}
	return until, nil
}

func hasEKU(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	for _, e := range c.ExtKeyUsage {
		if e == u {
			return true
		}
	}
	return false
}

func ocspStatusName(s ocsp.ResponseStatus) string {
	switch s {
	case ocsp.Malformed:
		return "malformed request"
	case ocsp.InternalError:
		return "internal error"
	case ocsp.TryLater:
		return "try later"
	case ocsp.SignatureRequired:
		return "signature required"
	case ocsp.Unauthorized:
		return "unauthorized"
	}
	return fmt.Sprintf("status %d", int(s))
}

// certID is the CertID of one single response: which certificate of which issuer it is about.
type certID struct {
	Hash     crypto.Hash // 0 when the algorithm is not one vbdt knows
	NameHash []byte
	KeyHash  []byte
	Serial   *big.Int
}

// matches tells whether id names cert, issued by issuer.
func (id certID) matches(cert, issuer *x509.Certificate) bool {
	if id.Hash == 0 || id.Serial.Cmp(cert.SerialNumber) != 0 {
		return false
	}
	h := id.Hash.New()
	h.Write(issuer.RawSubject)
	return bytes.Equal(h.Sum(nil), id.NameHash) && bytes.Equal(keyHash(id.Hash, issuer), id.KeyHash)
}

// keyHash hashes the subject public key (the BIT STRING's bits) of c, as CertID and a
// responder ID by key do.
func keyHash(h crypto.Hash, c *x509.Certificate) []byte {
	s := cryptobyte.String(c.RawSubjectPublicKeyInfo)
	var spki cryptobyte.String
	var bits asn1.BitString
	if !s.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.SkipASN1(cbasn1.SEQUENCE) || !spki.ReadASN1BitString(&bits) {
		return nil
	}
	if h == crypto.SHA1 {
		sum := sha1.Sum(bits.Bytes)
		return sum[:]
	}
	d := h.New()
	d.Write(bits.Bytes)
	return d.Sum(nil)
}

var (
	oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	certIDHashes = []struct {
		oid asn1.ObjectIdentifier
		h   crypto.Hash
	}{
		{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
	}
)

// ocspCertIDs reads the CertIDs of a successful basic OCSP response, without checking its
// signature: it tells which certificates an answer given as a file is about, and so which
// certificate to check it for.
func ocspCertIDs(der []byte) ([]certID, error) {
	bad := errors.New("not a successful basic OCSP response")
	s := cryptobyte.String(der)
	var resp, rb, rbSeq, octets, basic, tbs, responses cryptobyte.String
	var status int
	var typ asn1.ObjectIdentifier
	if !s.ReadASN1(&resp, cbasn1.SEQUENCE) || !s.Empty() || !resp.ReadASN1Enum(&status) || status != 0 ||
		!resp.ReadASN1(&rb, cbasn1.Tag(0).Constructed().ContextSpecific()) || !rb.ReadASN1(&rbSeq, cbasn1.SEQUENCE) ||
		!rbSeq.ReadASN1ObjectIdentifier(&typ) || !typ.Equal(oidOCSPBasic) || !rbSeq.ReadASN1(&octets, cbasn1.OCTET_STRING) ||
		!octets.ReadASN1(&basic, cbasn1.SEQUENCE) || !basic.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, bad
	}
	var responderID cryptobyte.String
	var tag cbasn1.Tag
	if !tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) || !tbs.ReadAnyASN1(&responderID, &tag) ||
		!tbs.SkipASN1(cbasn1.GeneralizedTime) || !tbs.ReadASN1(&responses, cbasn1.SEQUENCE) {
		return nil, bad
	}
	var ids []certID
	for !responses.Empty() {
		var single, id, alg cryptobyte.String
		var oid asn1.ObjectIdentifier
		c := certID{Serial: new(big.Int)}
		if !responses.ReadASN1(&single, cbasn1.SEQUENCE) || !single.ReadASN1(&id, cbasn1.SEQUENCE) ||
			!id.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) ||
			!id.ReadASN1Bytes(&c.NameHash, cbasn1.OCTET_STRING) || !id.ReadASN1Bytes(&c.KeyHash, cbasn1.OCTET_STRING) ||
			!id.ReadASN1Integer(c.Serial) || !id.Empty() {
			return nil, bad
		}
		for _, h := range certIDHashes {
			if h.oid.Equal(oid) {
				c.Hash = h.h
			}
		}
		ids = append(ids, c)
	}
	if len(ids) == 0 {
		return nil, bad
	}
	return ids, nil
}
