//go:build !cgo

package keys

func openPKCS11(*URI, Options) (*Key, error) { return nil, ErrNoCgo }

func listTokens(string, Options, bool) ([]Token, error) { return nil, ErrNoCgo }

// PKCS11Supported reports whether this build can open PKCS#11 tokens.
const PKCS11Supported = false
