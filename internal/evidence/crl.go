package evidence

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// CRLAnswer is a checked CRL: issued and signed by the certificate's issuer, and fresh when it
// was checked. Answers are shared between callers: do not modify them.
type CRLAnswer struct {
	DER  []byte // as a DSS /CRLs stream wants it
	List *x509.RevocationList
	URL  string // where it came from, or "file …"
}

// Entry returns the list's entry for cert, or nil when cert is not revoked by it.
func (a *CRLAnswer) Entry(cert *x509.Certificate) *x509.RevocationListEntry {
	for i := range a.List.RevokedCertificateEntries {
		if e := &a.List.RevokedCertificateEntries[i]; e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return e
		}
	}
	return nil
}

// CRL fetches the CRL of cert's issuer from cert's distribution points, in order, and returns
// the first that passes checkCRL. CRLs given as Files come first. A CRL is fetched once per
// distribution point and issuer, whatever certificate asks.
func (f *Fetcher) CRL(ctx context.Context, cert, issuer *x509.Certificate) (*CRLAnswer, error) {
	a, errs := f.fileCRL(ctx, issuer)
	if a != nil {
		return a, nil
	}
	if f.Offline || len(cert.CRLDistributionPoints) == 0 {
		why := "offline, and no CRL given as a file is its issuer's"
		if !f.Offline {
			why = "the certificate names no CRL distribution point"
		}
		return nil, joinErrors(append(errs, errors.New(why)))
	}
	for _, u := range cert.CRLDistributionPoints {
		v, err := f.fetch(ctx, request{kind: "crl", url: u, bind: issuer.Raw, limit: f.maxCRL(),
			accept: func(der []byte, now time.Time) (any, time.Time, error) {
				list, until, err := checkCRL(der, issuer, now, f.maxAge())
				if err != nil {
					return nil, time.Time{}, err
				}
				return &CRLAnswer{DER: der, List: list, URL: u}, until, nil
			}})
		if err == nil {
			return v.(*CRLAnswer), nil
		}
		errs = append(errs, &Error{What: "CRL " + u, Err: err})
	}
	return nil, joinErrors(errs)
}

// checkCRL checks that der is a CRL issued by issuer, signed with its key, and fresh at now,
// and returns it with until when it may be used (its nextUpdate, or thisUpdate plus maxAge).
// Delta CRLs and partitioned CRLs (issuing distribution point) are not told apart: Go's parser
// keeps their extensions, and the CAs vbdt meets publish full CRLs.
func checkCRL(der []byte, issuer *x509.Certificate, now time.Time, maxAge time.Duration) (*x509.RevocationList, time.Time, error) {
	list, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("not a CRL: %v", err)
	}
	until, err := checkCRLList(list, issuer, now, maxAge)
	return list, until, err
}

// checkCRLList is checkCRL for a CRL already parsed.
func checkCRLList(list *x509.RevocationList, issuer *x509.Certificate, now time.Time, maxAge time.Duration) (time.Time, error) {
	if !bytes.Equal(list.RawIssuer, issuer.RawSubject) {
		return time.Time{}, fmt.Errorf("the CRL is not issued by %q", issuer.Subject.CommonName)
	}
	if err := list.CheckSignatureFrom(issuer); err != nil {
		return time.Time{}, fmt.Errorf("the CRL's signature does not verify with the key of %q: %v", issuer.Subject.CommonName, err)
	}
	return fresh("CRL", list.ThisUpdate, list.NextUpdate, now, maxAge)
}
