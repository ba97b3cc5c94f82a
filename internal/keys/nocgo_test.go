//go:build !cgo

package keys

import (
	"errors"
	"testing"
)

func setupToken(string) error { return nil }

// A build without cgo still opens file keys (see file_test.go) and says clearly why a token
// key cannot be used.
func TestPKCS11WithoutCgo(t *testing.T) {
	_, err := Open("pkcs11:token=x?module-path=/usr/lib/softhsm/libsofthsm2.so", Options{})
	if !errors.Is(err, ErrNoCgo) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrNoCgo", err)
	}
	if _, err := ListTokens("/usr/lib/softhsm/libsofthsm2.so", Options{}, false); !errors.Is(err, ErrNoCgo) {
		t.Fatalf("ListTokens err = %v", err)
	}
	if PKCS11Supported {
		t.Fatal("PKCS11Supported in a build without cgo")
	}
}
