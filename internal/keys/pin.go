package keys

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/vbdt/vbdt/internal/fsutil"
)

// pinFor finds the PIN (or p12 password) for u, in order: pin-value in the URI, pin-source in
// the URI, the configured source (opts.PINSource), VBDT_PIN. It returns ok=false when none of
// these gives one, so the caller may prompt. The PIN never appears in an error.
func pinFor(u *URI, opts Options) (pin string, ok bool, err error) {
	if v, ok := u.Query["pin-value"]; ok {
		return v, true, nil
	}
	for _, src := range []string{u.Query["pin-source"], opts.PINSource} {
		if src != "" {
			pin, err := readPINSource(src, opts.getenv)
			return pin, err == nil, err
		}
	}
	if v := opts.getenv("VBDT_PIN"); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

// readPINSource reads file:PATH, a plain path, or env:NAME. One trailing newline is removed.
func readPINSource(src string, getenv func(string) string) (string, error) {
	if name, ok := strings.CutPrefix(src, "env:"); ok {
		v := getenv(name)
		if v == "" {
			return "", unavailable(fmt.Errorf("pin-source env:%s: the variable is empty or unset", name))
		}
		return v, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(src, "file://"), "file:")
	b, err := fsutil.ReadSmall(path, maxPINFile)
	if err != nil {
		return "", unavailable(fmt.Errorf("pin-source: %w", err))
	}
	b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	if len(b) == 0 {
		return "", unavailable(fmt.Errorf("pin-source %s is empty", path))
	}
	return string(b), nil
}

// askPIN prompts through opts.Prompt, or fails with ErrNoTerminal.
func askPIN(opts Options, label string) (string, error) {
	if opts.Prompt == nil {
		return "", unavailable(fmt.Errorf("%w (%s)", ErrNoTerminal, label))
	}
	pin, err := opts.Prompt(label)
	if err != nil {
		return "", unavailable(fmt.Errorf("reading PIN for %s: %w", label, err))
	}
	return pin, nil
}

// maxPINFile bounds a PIN or password file.
const maxPINFile = 64 << 10

// ReadSecret reads a secret from a source written like a PIN's: file:PATH, a plain path, or
// env:NAME (the exchange platform's secret, for one). The secret never appears in an error.
func ReadSecret(src string, getenv func(string) string) (string, error) {
	return readPINSource(src, getenv)
}
