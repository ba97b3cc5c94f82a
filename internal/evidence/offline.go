package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Files is evidence given as files — for a machine without network access, or to use answers
// fetched by other means (openssl ocsp -respout, a CA's CRL download). A Fetcher uses it before
// the network, and alone when Offline: each OCSP response is matched to the certificate its
// CertID names, each CRL to the issuer that signed it, each certificate to those it issued.
// Build it with LoadFiles or Add.
type Files struct {
	Certs []*x509.Certificate
	OCSPs []Item
	CRLs  []Item
}

// Item is an OCSP response or a CRL given as a file.
type Item struct {
	DER    []byte
	Source string // the file (and PEM block) it came from

	sum  string               // SHA-256 of DER, naming the item in a Fetcher's memo
	ids  []certID             // an OCSP response's CertIDs
	list *x509.RevocationList // a CRL, parsed
}

// maxFile bounds a file given as evidence: a CRL of DefaultMaxCRL bytes, PEM-encoded.
const maxFile = DefaultMaxCRL/3*4 + 1<<20

// LoadFiles reads OCSP responses, CRLs and certificates (one or several per file, DER or PEM,
// certificates also as PKCS#7 bundles) from paths.
func LoadFiles(paths []string) (*Files, error) {
	fs := &Files{}
	for _, p := range paths {
		data, err := readFile(p)
		if err == nil {
			err = fs.Add(data, p)
		}
		if err != nil {
			return nil, fmt.Errorf("evidence file %s: %w", p, err)
		}
	}
	return fs, nil
}

// LoadFiles adds the evidence in paths (see the function LoadFiles) to f.Files.
func (f *Fetcher) LoadFiles(paths []string) error {
	fs, err := LoadFiles(paths)
	if err != nil {
		return err
	}
	if f.Files == nil {
		f.Files = &Files{}
	}
	f.Files.Certs = append(f.Files.Certs, fs.Certs...)
	f.Files.OCSPs = append(f.Files.OCSPs, fs.OCSPs...)
	f.Files.CRLs = append(f.Files.CRLs, fs.CRLs...)
	return nil
}

func readFile(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("larger than %d bytes", maxFile)
	}
	return data, nil
}

// Add reads the evidence in data, which came from source, telling the kinds apart by content:
// PEM by block type (CERTIFICATE, X509 CRL, OCSP RESPONSE, PKCS7), DER by what parses (a
// certificate, a CRL, a successful OCSP response, a PKCS#7 bundle of certificates). Nothing is
// added when data holds something else.
func (fs *Files) Add(data []byte, source string) error {
	var add Files
	if blocks, ok := pemBlocks(data); ok {
		for i, b := range blocks {
			src := source
			if len(blocks) > 1 {
				src = fmt.Sprintf("%s#%d", source, i+1)
			}
			var err error
			switch b.Type {
			case "CERTIFICATE":
				err = add.addCert(b.Bytes)
			case "PKCS7", "CMS":
				err = add.addPKCS7(b.Bytes)
			case "X509 CRL":
				err = add.addCRL(b.Bytes, src)
			case "OCSP RESPONSE":
				err = add.addOCSP(b.Bytes, src)
			default:
				err = errors.New("not a certificate, CRL or OCSP response")
			}
			if err != nil {
				return fmt.Errorf("PEM block %d (%s): %w", i+1, b.Type, err)
			}
		}
	} else {
		switch der := bytes.Clone(data); {
		case add.addCert(der) == nil:
		case add.addCRL(der, source) == nil:
		case add.addOCSP(der, source) == nil:
		case add.addPKCS7(der) == nil:
		default:
			return errors.New("neither a certificate, a CRL, a successful OCSP response nor a PKCS#7 bundle of certificates (DER or PEM)")
		}
	}
	fs.Certs = append(fs.Certs, add.Certs...)
	fs.OCSPs = append(fs.OCSPs, add.OCSPs...)
	fs.CRLs = append(fs.CRLs, add.CRLs...)
	return nil
}

func (fs *Files) addCert(der []byte) error {
	c, err := x509.ParseCertificate(der)
	if err == nil {
		fs.Certs = append(fs.Certs, c)
	}
	return err
}

func (fs *Files) addPKCS7(der []byte) error {
	certs, err := parsePKCS7Certs(der)
	if err == nil {
		fs.Certs = append(fs.Certs, certs...)
	}
	return err
}

func (fs *Files) addCRL(der []byte, source string) error {
	list, err := x509.ParseRevocationList(der)
	if err != nil {
		return err
	}
	fs.CRLs = append(fs.CRLs, Item{DER: der, Source: source, sum: digest(der), list: list})
	return nil
}

func (fs *Files) addOCSP(der []byte, source string) error {
	ids, err := ocspCertIDs(der)
	if err != nil {
		return err
	}
	fs.OCSPs = append(fs.OCSPs, Item{DER: der, Source: source, sum: digest(der), ids: ids})
	return nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// issuerOf returns the given certificate that issued cert, or nil.
func (fs *Files) issuerOf(cert *x509.Certificate) *x509.Certificate {
	if fs == nil {
		return nil
	}
	return issuerIn(cert, fs.Certs)
}

// fileOCSP returns the first OCSP response given as a file that is about cert and passes
// checkOCSP, and why the others about cert did not.
func (f *Fetcher) fileOCSP(ctx context.Context, cert, issuer *x509.Certificate) (*OCSPAnswer, []error) {
	if f.Files == nil {
		return nil, nil
	}
	var errs []error
	for _, it := range f.Files.OCSPs {
		ids := it.ids
		if ids == nil {
			ids, _ = ocspCertIDs(it.DER)
		}
		about := false
		for _, id := range ids {
			about = about || id.matches(cert, issuer)
		}
		if !about {
			continue
		}
		key := memoKey("file-ocsp", it.digest(), cert.Raw, issuer.Raw)
		v, err := f.memo(ctx, key, func(context.Context) (any, time.Time, error) {
			resp, until, err := checkOCSP(it.DER, cert, issuer, f.now(), f.maxAge())
			if err != nil {
				return nil, time.Time{}, err
			}
			return &OCSPAnswer{DER: it.DER, Resp: resp, URL: "file " + it.Source}, until, nil
		})
		if err == nil {
			return v.(*OCSPAnswer), nil
		}
		errs = append(errs, &Error{What: "OCSP file " + it.Source, Err: err})
	}
	return nil, errs
}

// fileCRL returns the first CRL given as a file that issuer issued and that passes checkCRL,
// and why the others it issued did not.
func (f *Fetcher) fileCRL(ctx context.Context, issuer *x509.Certificate) (*CRLAnswer, []error) {
	if f.Files == nil {
		return nil, nil
	}
	var errs []error
	for _, it := range f.Files.CRLs {
		list := it.list
		if list == nil {
			var err error
			if list, err = x509.ParseRevocationList(it.DER); err != nil {
				continue
			}
		}
		if !bytes.Equal(list.RawIssuer, issuer.RawSubject) {
			continue
		}
		key := memoKey("file-crl", it.digest(), issuer.Raw)
		v, err := f.memo(ctx, key, func(context.Context) (any, time.Time, error) {
			until, err := checkCRLList(list, issuer, f.now(), f.maxAge())
			if err != nil {
				return nil, time.Time{}, err
			}
			return &CRLAnswer{DER: it.DER, List: list, URL: "file " + it.Source}, until, nil
		})
		if err == nil {
			return v.(*CRLAnswer), nil
		}
		errs = append(errs, &Error{What: "CRL file " + it.Source, Err: err})
	}
	return nil, errs
}

func (it *Item) digest() string {
	if it.sum != "" {
		return it.sum
	}
	return digest(it.DER)
}

// memoKey names a check of a file in a Fetcher's memo.
func memoKey(kind, sum string, parts ...[]byte) string {
	return request{kind: kind, url: sum, bind: bytes.Join(parts, []byte{0})}.key()
}
