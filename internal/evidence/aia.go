package evidence

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/vbdt/vbdt/internal/cms"
)

// Issuer fetches the certificate that issued cert from its Authority Information Access
// (caIssuers) URLs, in order: a DER or PEM certificate, or a certs-only PKCS#7 (.p7c) bundle,
// of which the certificate whose key signed cert is taken. Certificates given as Files come
// first. A URL's download is kept CertificateMaxAge and shared by every certificate naming it.
func (f *Fetcher) Issuer(ctx context.Context, cert *x509.Certificate) (*x509.Certificate, error) {
	if c := f.Files.issuerOf(cert); c != nil {
		return c, nil
	}
	if f.Offline || len(cert.IssuingCertificateURL) == 0 {
		why := "offline, and no certificate given as a file issued it"
		if !f.Offline {
			why = "the certificate names no issuer URL (AIA caIssuers)"
		}
		return nil, errors.New(why)
	}
	var errs []error
	for _, u := range cert.IssuingCertificateURL {
		v, err := f.fetch(ctx, request{kind: "cert", url: u, limit: maxCertificates,
			accept: func(der []byte, now time.Time) (any, time.Time, error) {
				certs, err := parseCertificates(der)
				if err != nil {
					return nil, time.Time{}, err
				}
				return certs, now.Add(CertificateMaxAge), nil
			}})
		if err == nil {
			certs := v.([]*x509.Certificate)
			if c := issuerIn(cert, certs); c != nil {
				return c, nil
			}
			err = fmt.Errorf("none of the %d certificates there issued %q", len(certs), cert.Subject.CommonName)
		}
		errs = append(errs, &Error{What: "AIA " + u, Err: err})
	}
	return nil, joinErrors(errs)
}

// issuerIn returns the certificate of pool that issued cert (its subject is cert's issuer and
// its key verifies cert's signature), or nil.
func issuerIn(cert *x509.Certificate, pool []*x509.Certificate) *x509.Certificate {
	for _, c := range pool {
		if bytes.Equal(c.RawSubject, cert.RawIssuer) && cert.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	return nil
}

// parseCertificates reads certificates as CAs publish them: one DER certificate, PEM
// certificates, or a certs-only PKCS#7 SignedData, DER or PEM.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	if blocks, ok := pemBlocks(data); ok {
		var out []*x509.Certificate
		for _, b := range blocks {
			switch b.Type {
			case "CERTIFICATE":
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, err
				}
				out = append(out, c)
			case "PKCS7", "CMS":
				certs, err := parsePKCS7Certs(b.Bytes)
				if err != nil {
					return nil, err
				}
				out = append(out, certs...)
			}
		}
		if len(out) == 0 {
			return nil, errors.New("no certificate in the PEM data")
		}
		return out, nil
	}
	if c, err := x509.ParseCertificate(data); err == nil {
		return []*x509.Certificate{c}, nil
	}
	certs, err := parsePKCS7Certs(data)
	if err != nil {
		return nil, errors.New("neither a certificate nor a PKCS#7 bundle of certificates (DER or PEM)")
	}
	return certs, nil
}

// pemBlocks decodes data as PEM: ok when it holds at least one PEM block. Text around the
// blocks (openssl's human-readable dump before a certificate) is ignored.
func pemBlocks(data []byte) ([]*pem.Block, bool) {
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		return nil, false
	}
	var out []*pem.Block
	for rest := data; ; {
		b, r := pem.Decode(rest)
		if b == nil {
			break
		}
		out = append(out, b)
		rest = r
	}
	return out, len(out) > 0
}

// parsePKCS7Certs reads the certificates of a DER PKCS#7 / CMS SignedData (a .p7c file is one
// without signers). Entries of the certificates field that are not X.509 certificates
// (attribute certificates, other formats) are skipped.
func parsePKCS7Certs(der []byte) ([]*x509.Certificate, error) {
	bad := errors.New("not a PKCS#7 SignedData")
	s := cryptobyte.String(der)
	var ci, content, sd, certs cryptobyte.String
	var oid asn1.ObjectIdentifier
	var version int64
	var has bool
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !s.Empty() || !ci.ReadASN1ObjectIdentifier(&oid) || !oid.Equal(cms.OIDSignedData) ||
		!ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !content.ReadASN1(&sd, cbasn1.SEQUENCE) ||
		!sd.ReadASN1Integer(&version) || !sd.SkipASN1(cbasn1.SET) || !sd.SkipASN1(cbasn1.SEQUENCE) ||
		!sd.ReadOptionalASN1(&certs, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, bad
	}
	var out []*x509.Certificate
	for !certs.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&el, &tag) {
			return nil, bad
		}
		if tag != cbasn1.SEQUENCE {
			continue
		}
		c, err := x509.ParseCertificate(el)
		if err != nil {
			return nil, fmt.Errorf("a certificate of the PKCS#7 bundle: %v", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("the PKCS#7 bundle holds no certificate")
	}
	return out, nil
}
