package keys

import (
	"fmt"

	"github.com/vbdt/vbdt/internal/pki"
)

// Token is one PKCS#11 token and the key/certificate pairs on it.
type Token struct {
	Module       string     `json:"module"`
	SlotID       uint       `json:"slot_id"`
	Label        string     `json:"token"`
	Manufacturer string     `json:"manufacturer"`
	Model        string     `json:"model"`
	Serial       string     `json:"serial"`
	PINStatus    string     `json:"pin_status"`
	LoggedIn     bool       `json:"logged_in"`
	Keys         []TokenKey `json:"keys"`
}

// TokenKey pairs objects that share a CKA_ID: a private key, a public key, a certificate.
type TokenKey struct {
	Label       string           `json:"label"`
	ID          string           `json:"id"` // hex
	KeyType     string           `json:"key_type,omitempty"`
	KeyBits     int              `json:"key_bits,omitempty"`
	PrivateKey  bool             `json:"private_key"`
	Certificate *pki.CertSummary `json:"certificate,omitempty"`
	// Match says whether the certificate's public key is the key's: yes, no, unknown, no certificate, no key.
	Match string `json:"match"`
	// URI opens this key with vbdt (no PIN in it).
	URI string `json:"uri,omitempty"`
}

// ListTokens lists the tokens of the module at path, or of every module ProbeModules finds when
// path is "". With login, it logs in to each token (PIN as for Open) to list private keys.
func ListTokens(path string, opts Options, login bool) ([]Token, error) {
	paths := []string{path}
	if path == "" {
		probe := opts.Probe
		if probe == nil {
			probe = ProbeModules
		}
		if paths = probe(); len(paths) == 0 {
			return nil, unavailable(fmt.Errorf("no PKCS#11 module found in the usual places: pass --module PATH"))
		}
	}
	var all []Token
	for _, p := range paths {
		toks, err := listTokens(p, opts, login)
		if err != nil {
			return nil, unavailable(err)
		}
		all = append(all, toks...)
	}
	return all, nil
}
