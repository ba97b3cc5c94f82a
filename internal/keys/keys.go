// Package keys turns a --key URI into a crypto.Signer with its certificate chain, whether the
// key lives in a PKCS#12 file, a PEM file or a PKCS#11 token (RFC 7512 URIs). PINs are asked
// for at most once per key and never appear in errors or logs.
package keys

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/vbdt/vbdt/internal/pki"
)

var (
	// ErrUnavailable marks every failure to reach a key: missing file or module, no token,
	// login or PIN failure. errors.Is(err, ErrUnavailable) selects exit code 11.
	ErrUnavailable = errors.New("key unavailable")
	// ErrPINIncorrect is a PIN the token or file rejected. vbdt never retries it.
	ErrPINIncorrect = errors.New("incorrect PIN")
	// ErrNoTerminal is a PIN that is needed when there is no terminal to ask on.
	ErrNoTerminal = errors.New("a PIN is needed and there is no terminal")
	// ErrNoCgo is PKCS#11 requested from a build without cgo.
	ErrNoCgo = errors.New("PKCS#11 needs a vbdt built with cgo (CGO_ENABLED=1); this build supports file: keys only")
)

type unavailableError struct{ err error }

func (e unavailableError) Error() string        { return e.err.Error() }
func (e unavailableError) Unwrap() error        { return e.err }
func (e unavailableError) Is(target error) bool { return target == ErrUnavailable }

func unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return unavailableError{err}
}

// Options tune how a key is opened.
type Options struct {
	// ModulePath is the PKCS#11 module (--module); it overrides module-path in the URI.
	ModulePath string
	// PINSource is the configured pin_source of a key profile (file:PATH or env:NAME).
	PINSource string
	// Prompt asks a person for a PIN; nil when there is no terminal.
	Prompt func(label string) (string, error)
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Probe lists candidate PKCS#11 modules (ProbeModules when nil).
	Probe func() []string
}

func (o Options) getenv(k string) string {
	if o.Getenv == nil {
		return os.Getenv(k)
	}
	return o.Getenv(k)
}

// Key is an open signing key. Close releases its token session.
type Key struct {
	crypto.Signer
	// Chain is the signer's certificate first, then its issuers as far as known.
	Chain []*x509.Certificate
	// URI is the key's URI with secrets redacted.
	URI   string
	close func() error
}

// Certificate is the signer's certificate.
func (k *Key) Certificate() *x509.Certificate { return k.Chain[0] }

// Close releases the key; further Sign calls fail.
func (k *Key) Close() error {
	if k.close == nil {
		return nil
	}
	c := k.close
	k.close = nil
	return c()
}

// Open opens the key named by uri.
func Open(uri string, opts Options) (*Key, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	var k *Key
	switch u.Scheme {
	case "file":
		k, err = openFile(u, opts)
	case "pkcs11":
		k, err = openPKCS11(u, opts)
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("key %s: %w", u, err))
	}
	k.URI = u.String()
	return k, nil
}

// matchChain checks that the certificate matches the key and orders the chain.
func matchChain(signer crypto.Signer, certs []*x509.Certificate) ([]*x509.Certificate, error) {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := signer.Public().(equaler)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", signer.Public())
	}
	for _, c := range certs {
		if pub.Equal(c.PublicKey) {
			return pki.OrderChain(c, certs), nil
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no certificate found for the key (add ?cert=chain.pem)")
	}
	return nil, fmt.Errorf("the key does not match certificate %q (nor any other certificate given)", certs[0].Subject.CommonName)
}
