package testpki

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed softhsm-load.sh
var loadScript []byte

// SOPIN is the security officer PIN of the test token.
const SOPIN = "5678"

// SoftHSM is a SoftHSM2 token holding the test signers' keys and certificates.
type SoftHSM struct {
	Conf   string // set SOFTHSM2_CONF to this before loading the module
	Module string
	Label  string
}

// SoftHSMModule returns the path of libsofthsm2.so, or "" if SoftHSM2 is not installed.
func SoftHSMModule() string {
	for _, m := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/local/lib/softhsm/libsofthsm2.so", "/usr/lib64/pkcs11/libsofthsm2.so"} {
		if _, err := os.Stat(m); err == nil {
			return m
		}
	}
	return ""
}

// SoftHSMMissing says what is missing to make a test token, "" when nothing is.
func SoftHSMMissing() string {
	var missing []string
	for _, tool := range []string{"softhsm2-util", "pkcs11-tool", "openssl", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if SoftHSMModule() == "" {
		missing = append(missing, "libsofthsm2.so")
	}
	if len(missing) == 0 {
		return ""
	}
	return strings.Join(missing, ", ") + " (apt-get install softhsm2 opensc openssl)"
}

// LoadSoftHSM creates a token labelled label in tokenDir with the signers of the PKI written in
// pkiDir (see Write), user PIN Password, by running the embedded softhsm-load.sh.
func LoadSoftHSM(tokenDir, pkiDir, label string) (*SoftHSM, error) {
	if m := SoftHSMMissing(); m != "" {
		return nil, fmt.Errorf("SoftHSM2 test token: missing %s", m)
	}
	abs, err := filepath.Abs(tokenDir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", "-s", "--", abs, pkiDir, label)
	cmd.Stdin = bytes.NewReader(loadScript)
	cmd.Env = append(os.Environ(), "VBDT_TEST_PIN="+Password, "VBDT_TEST_SO_PIN="+SOPIN, "VBDT_SOFTHSM_MODULE="+SoftHSMModule())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if _, err := cmd.Output(); err != nil {
		return nil, fmt.Errorf("loading the SoftHSM2 test token: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return &SoftHSM{Conf: filepath.Join(abs, "softhsm2.conf"), Module: SoftHSMModule(), Label: label}, nil
}
