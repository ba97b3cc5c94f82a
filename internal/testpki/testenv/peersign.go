package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// peersign is built once per test process; see PeerSign.
var peersign struct {
	once sync.Once
	bin  string
	err  error
}

// PeerSign returns the path of the peersign tool (internal/testpki/peersign): a PDF signer
// built on github.com/digitorus/pdfsign, independent of vbdt's own, that makes approval
// signatures and certification signatures with DocMDP P=1, 2 or 3. It lives in a Go module of
// its own, so the first call builds it with `go build` (its modules come from the module
// proxy) into a folder under the system temp dir named by a hash of its sources, where later
// test processes find it; a failed build fails t.
func PeerSign(t testing.TB) string {
	t.Helper()
	peersign.once.Do(func() { peersign.bin, peersign.err = buildPeerSign() })
	if peersign.err != nil {
		t.Fatalf("cannot build the peersign test tool: %v", peersign.err)
	}
	return peersign.bin
}

// PeerSignPDF signs in into out with peersign: keyPEM is a PEM private key (RSA or ECDSA;
// PKCS#8, PKCS#1 or SEC 1), certPEM the signer's certificate, which may be followed by its
// chain; certify 0 makes an approval signature, 1, 2 or 3 a certification signature with that
// DocMDP /P. A failure fails t.
func PeerSignPDF(t testing.TB, in, out, keyPEM, certPEM string, certify int) {
	t.Helper()
	bin := PeerSign(t)
	cmd := exec.Command(bin, "-in", in, "-out", out, "-key", keyPEM, "-cert", certPEM, "-certify", fmt.Sprint(certify))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("peersign -certify %d %s: %v\n%s", certify, in, err, b)
	}
}

func buildPeerSign() (string, error) {
	src, err := peerSignSource()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	dir := filepath.Join(os.TempDir(), "vbdt-peersign-"+hex.EncodeToString(h.Sum(nil))[:16])
	bin := filepath.Join(dir, "peersign")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build beside the final name and rename, so that test processes building at once do not
	// run each other's half-written binary.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "build", "-mod=readonly", "-buildvcs=false", "-o", filepath.Join(tmp, "peersign"), ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off") // the tool's own module, even under a go.work
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", src, err, strings.TrimSpace(string(out)))
	}
	if err := os.Rename(filepath.Join(tmp, "peersign"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// peerSignSource finds internal/testpki/peersign: beside this file, or, when sources were
// built with -trimpath, under the root of the module the test runs in.
func peerSignSource() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		d := filepath.Join(filepath.Dir(file), "..", "peersign")
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if gomod := strings.TrimSpace(string(out)); err == nil && gomod != "" && gomod != os.DevNull {
		d := filepath.Join(filepath.Dir(gomod), "internal", "testpki", "peersign")
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("internal/testpki/peersign not found")
}
