package keys

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/vbdt/vbdt/internal/fsutil"
)

// maxKeyFile bounds what is read from a key or certificate file.
const maxKeyFile = 4 << 20

// readBounded reads a key or certificate file: at most maxKeyFile bytes of it, whatever it is
// (a size from Stat says nothing of /dev/zero or a FIFO).
func readBounded(path string) ([]byte, error) {
	data, err := fsutil.ReadSmall(path, maxKeyFile)
	var big *fsutil.TooLargeError
	if errors.As(err, &big) {
		return nil, fmt.Errorf("%w: too large for a key or certificate file", err)
	}
	return data, err
}

func openFile(u *URI, opts Options) (*Key, error) {
	data, err := readBounded(u.Path)
	if err != nil {
		return nil, err
	}
	var signer crypto.Signer
	var certs []*x509.Certificate
	switch ext := strings.ToLower(filepath.Ext(u.Path)); {
	case ext == ".p12" || ext == ".pfx" || !isPEM(data):
		signer, certs, err = decodeP12(u, data, opts)
	default:
		signer, certs, err = decodePEM(data)
	}
	if err != nil {
		return nil, err
	}
	if side := u.Query["cert"]; side != "" {
		more, err := ReadCertificates(side)
		if err != nil {
			return nil, err
		}
		certs = append(more, certs...)
	}
	chain, err := matchChain(signer, certs)
	if err != nil {
		return nil, err
	}
	return &Key{Signer: signer, Chain: chain}, nil
}

func isPEM(b []byte) bool {
	return strings.Contains(string(b[:min(len(b), 4096)]), "-----BEGIN ")
}

func decodeP12(u *URI, data []byte, opts Options) (crypto.Signer, []*x509.Certificate, error) {
	pin, ok, err := pinFor(u, opts)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		// Many exported files have an empty password: try it before asking.
		if s, c, err := p12(data, ""); err == nil {
			return s, c, nil
		} else if !errors.Is(err, ErrPINIncorrect) {
			return nil, nil, err
		}
		if pin, err = askPIN(opts, "password of "+filepath.Base(u.Path)); err != nil {
			return nil, nil, err
		}
	}
	return p12(data, pin)
}

func p12(data []byte, password string) (crypto.Signer, []*x509.Certificate, error) {
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, nil, fmt.Errorf("%w (the PKCS#12 password)", ErrPINIncorrect)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading PKCS#12: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("PKCS#12 key of type %T cannot sign", key)
	}
	return signer, append([]*x509.Certificate{cert}, cas...), nil
}

func decodePEM(data []byte) (crypto.Signer, []*x509.Certificate, error) {
	var signer crypto.Signer
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("certificate in key file: %w", err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if signer != nil {
				return nil, nil, fmt.Errorf("the PEM file holds more than one private key")
			}
			s, err := parsePrivateKey(b)
			if err != nil {
				return nil, nil, err
			}
			signer = s
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, fmt.Errorf("encrypted PEM keys are not supported: convert it with `openssl pkcs12 -export` and use the .p12")
		}
	}
	if signer == nil {
		return nil, nil, fmt.Errorf("no private key in the PEM file")
	}
	return signer, certs, nil
}

func parsePrivateKey(b *pem.Block) (crypto.Signer, error) {
	var key any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", key)
	}
	return s, nil
}

// ReadCertificates reads PEM or DER certificates from a file (trust anchors, side chains).
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	if !isPEM(data) {
		certs, err := x509.ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return certs, nil
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificate found", path)
	}
	return certs, nil
}
